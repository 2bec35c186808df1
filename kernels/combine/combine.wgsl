// out[t, h] = sum over k = 0..K-1, ascending, of weight[t, k] * y[slotRow[t*K + k], h];
// dropped slots (slotRow = NONE) are skipped, so they contribute exactly 0 and
// a token whose slots are all dropped gets exactly 0 (the residual add happens
// outside). A gather in a fixed order: deterministic. WG from COMBINE_TUNING.

struct Params {
  NH: u32, // N * H, the elements of out
  H: u32,
  K: u32,
}

@group(0) @binding(0) var<storage, read_write> out: array<f32>; // [N, H]
@group(0) @binding(1) var<storage, read> y: array<f32>;         // [R, H]
@group(0) @binding(2) var<storage, read> weight: array<f32>;    // [N, K]
@group(0) @binding(3) var<storage, read> slot_row: array<u32>;  // [R]
@group(0) @binding(4) var<uniform> p: Params;

const NONE: u32 = 0xffffffffu;
override WG: u32;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * WG + li;
  if (i >= p.NH) { return; }
  let t = i / p.H;
  let h = i - t * p.H;
  var acc = 0.0;
  for (var k = 0u; k < p.K; k++) {
    let s = t * p.K + k;
    let row = slot_row[s];
    if (row != NONE) { acc += weight[s] * y[row * p.H + h]; }
  }
  out[i] = acc;
}
