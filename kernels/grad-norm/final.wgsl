// Global gradient norm, pass 2: ONE workgroup. For each tensor t in order,
// its slots slot_start[t] .. slot_start[t+1] are summed (fixed strided order
// + fixed tree) into sumsq[t], and the smallest bad element index found.
// Then, in tensor order (invocation 0, sequentially):
//   total = sum_t sumsq[t],  norm = sqrt(total)
//   first_bad = [t, element] of the FIRST tensor holding NaN/Inf, else [NONE, NONE]
//   clip_scale = 0 when the gradients are not finite (AdamW then skips the
//                step), else min(1, max_norm / (norm + 1e-6)) when clipping
//                (torch.nn.utils.clip_grad_norm_'s formula), else 1.
// FINAL_WG comes from GRAD_NORM_TUNING (header); it is a power of two.

const NONE: u32 = 0xffffffffu;
const EXP_MASK: u32 = 0x7f800000u;

struct Params {
  T: u32,
  max_norm: f32,
  clip: u32,
}

@group(0) @binding(0) var<storage, read_write> sumsq: array<f32>;       // [T]
@group(0) @binding(1) var<storage, read_write> norm: array<f32>;        // [1]
@group(0) @binding(2) var<storage, read_write> clip_scale: array<f32>;  // [1]
@group(0) @binding(3) var<storage, read_write> first_bad: array<u32>;   // [2]
@group(0) @binding(4) var<storage, read> partial_sumsq: array<f32>;     // [slots]
@group(0) @binding(5) var<storage, read> partial_bad: array<u32>;       // [slots]
@group(0) @binding(6) var<storage, read> slot_start: array<u32>;        // [T + 1]
@group(0) @binding(7) var<uniform> p: Params;

var<workgroup> sums: array<f32, FINAL_WG>;
var<workgroup> bads: array<u32, FINAL_WG>;

@compute @workgroup_size(FINAL_WG)
fn main(@builtin(local_invocation_index) li: u32) {
  var total = 0.0;
  var bad_tensor = NONE;
  var bad_element = NONE;
  for (var t = 0u; t < p.T; t++) {
    var s = 0.0;
    var bad = NONE;
    for (var j = slot_start[t] + li; j < slot_start[t + 1u]; j += FINAL_WG) {
      s += partial_sumsq[j];
      bad = min(bad, partial_bad[j]);
    }
    sums[li] = s;
    bads[li] = bad;
    workgroupBarrier();
    for (var stride = FINAL_WG / 2u; stride > 0u; stride /= 2u) {
      if (li < stride) {
        sums[li] += sums[li + stride];
        bads[li] = min(bads[li], bads[li + stride]);
      }
      workgroupBarrier();
    }
    if (li == 0u) {
      sumsq[t] = sums[0];
      total += sums[0];
      if (bad_tensor == NONE && bads[0] != NONE) {
        bad_tensor = t;
        bad_element = bads[0];
      }
    }
    workgroupBarrier(); // sums and bads are read before the next tensor overwrites them
  }
  if (li == 0u) {
    let nrm = sqrt(total);
    norm[0] = nrm;
    first_bad[0] = bad_tensor;
    first_bad[1] = bad_element;
    // total can overflow to Inf even when every value is finite: treat it as not finite.
    let finite = bad_tensor == NONE && (bitcast<u32>(total) & EXP_MASK) != EXP_MASK;
    var scale = 1.0;
    if (!finite) {
      scale = 0.0;
    } else if (p.clip != 0u) {
      scale = min(1.0, p.max_norm / (nrm + 1e-6));
    }
    clip_scale[0] = scale;
  }
}
