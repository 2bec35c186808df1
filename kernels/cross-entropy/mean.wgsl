// Softmax cross-entropy, pass 2 of 3: ONE workgroup reduces the per-row
// losses to their mean over rows whose target is not IGNORE, and counts
// those rows (the gradient divides by the count). Strided sums + fixed trees:
// deterministic. No valid rows: mean 0, count 0.
// MEAN_WG comes from CROSS_ENTROPY_TUNING (header).

const IGNORE: u32 = 0xffffffffu;

struct Params {
  N: u32,
}

@group(0) @binding(0) var<storage, read_write> mean_loss: array<f32>;   // [1]
@group(0) @binding(1) var<storage, read_write> valid_count: array<u32>; // [1]
@group(0) @binding(2) var<storage, read> loss: array<f32>;              // [N]
@group(0) @binding(3) var<storage, read> targets: array<u32>;           // [N]
@group(0) @binding(4) var<uniform> p: Params;

var<workgroup> sums: array<f32, MEAN_WG>;
var<workgroup> counts: array<u32, MEAN_WG>;

@compute @workgroup_size(MEAN_WG)
fn main(@builtin(local_invocation_index) li: u32) {
  var s = 0.0;
  var c = 0u;
  for (var n = li; n < p.N; n += MEAN_WG) {
    if (targets[n] != IGNORE) {
      s += loss[n];
      c++;
    }
  }
  sums[li] = s;
  counts[li] = c;
  workgroupBarrier();
  for (var stride = MEAN_WG / 2u; stride > 0u; stride /= 2u) {
    if (li < stride) {
      sums[li] += sums[li + stride];
      counts[li] += counts[li + stride];
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    let total = counts[0];
    valid_count[0] = total;
    mean_loss[0] = select(0.0, sums[0] / f32(total), total > 0u);
  }
}
