// Backward of permuteRows: dx[t, h] = sum over k = 0..K-1, ascending, of
// dxp[slotRow[t*K + k], h], skipping dropped slots (slotRow = NONE). A gather:
// each output owned by one invocation, summing in a fixed order, so the result
// is deterministic without float atomics. A token whose slots are all dropped
// gets exactly 0. WG from PERMUTE_TUNING; one invocation per chunk of COLS
// columns of a token (row-chunks.wgsl).

struct Params {
  chunks: u32, // N * ceil(H / COLS): the invocations with work
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
  if (i >= p.chunks) { return; }
  let c = row_chunk(i, p.H);
  let t = c.x;
  let h = c.y;
  let n = c.z;
  let o = t * p.H + h;
  if (n == COLS) {
    var a0 = 0.0; var a1 = 0.0; var a2 = 0.0; var a3 = 0.0; var a4 = 0.0; var a5 = 0.0; var a6 = 0.0; var a7 = 0.0;
    for (var k = 0u; k < p.K; k++) {
      let row = slot_row[t * p.K + k];
      if (row != NONE) {
        let b = row * p.H + h;
        a0 += dxp[b]; a1 += dxp[b + 1u]; a2 += dxp[b + 2u]; a3 += dxp[b + 3u];
        a4 += dxp[b + 4u]; a5 += dxp[b + 5u]; a6 += dxp[b + 6u]; a7 += dxp[b + 7u];
      }
    }
    dx[o] = a0; dx[o + 1u] = a1; dx[o + 2u] = a2; dx[o + 3u] = a3;
    dx[o + 4u] = a4; dx[o + 5u] = a5; dx[o + 6u] = a6; dx[o + 7u] = a7;
  } else {
    for (var j = 0u; j < n; j++) {
      var acc = 0.0;
      for (var k = 0u; k < p.K; k++) {
        let row = slot_row[t * p.K + k];
        if (row != NONE) { acc += dxp[row * p.H + h + j]; }
      }
      dx[o + j] = acc;
    }
  }
}
