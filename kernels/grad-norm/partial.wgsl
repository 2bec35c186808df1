// Global gradient norm, pass 1 (one dispatch per gradient tensor): workgroup c
// owns the chunk of CHUNK = WG * ITEMS elements starting at c * CHUNK and
// writes into its slot (slot_base + c):
//   partial_sumsq = sum of x^2 over the chunk (fixed strided order + fixed tree)
//   partial_bad   = smallest element index in the chunk whose value is NaN or
//                   Inf, tested by its exponent bits (compilers may fold
//                   x != x away), or NONE.
// Non-finite values still enter the sum, so the norm itself reports them.
// WG and ITEMS come from GRAD_NORM_TUNING (header); WG is a power of two.

const NONE: u32 = 0xffffffffu;
const EXP_MASK: u32 = 0x7f800000u;
const CHUNK: u32 = WG * ITEMS;

struct Params {
  n: u32,
  slot_base: u32,
  slots: u32,
}

@group(0) @binding(0) var<storage, read_write> partial_sumsq: array<f32>; // [all slots]
@group(0) @binding(1) var<storage, read_write> partial_bad: array<u32>;   // [all slots]
@group(0) @binding(2) var<storage, read> grad: array<f32>;                // [n]
@group(0) @binding(3) var<uniform> p: Params;

var<workgroup> sums: array<f32, WG>;
var<workgroup> bads: array<u32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let chunk = wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y;
  if (chunk >= p.slots) { return; } // uniform per workgroup
  let start = chunk * CHUNK;
  var s = 0.0;
  var bad = NONE;
  for (var k = 0u; k < ITEMS; k++) {
    let i = start + k * WG + li;
    if (i < p.n) {
      let x = grad[i];
      s = fma(x, x, s);
      if ((bitcast<u32>(x) & EXP_MASK) == EXP_MASK) { bad = min(bad, i); }
    }
  }
  sums[li] = s;
  bads[li] = bad;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (li < stride) {
      sums[li] += sums[li + stride];
      bads[li] = min(bads[li], bads[li + stride]);
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    partial_sumsq[p.slot_base + chunk] = sums[0];
    partial_bad[p.slot_base + chunk] = bads[0];
  }
}
