// Backward of permuteRows: dx[t, h] = sum over k = 0..K-1, ascending, of
// dxp[slotRow[t*K + k], h], skipping dropped slots (slotRow = NONE). A gather:
// each output owned by one invocation, summing in a fixed order, so the result
// is deterministic without float atomics. A token whose slots are all dropped
// gets exactly 0. WG from PERMUTE_TUNING.

struct Params {
  NH: u32, // N * H, the elements of dx
  H: u32,
  K: u32,
}

@group(0) @binding(0) var<storage, read_write> dx: array<f32>;  // [N, H]
@group(0) @binding(1) var<storage, read> dxp: array<f32>;       // [R, H]
@group(0) @binding(2) var<storage, read> slot_row: array<u32>;  // [R]
@group(0) @binding(3) var<uniform> p: Params;

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
    let row = slot_row[t * p.K + k];
    if (row != NONE) { acc += dxp[row * p.H + h]; }
  }
  dx[i] = acc;
}
