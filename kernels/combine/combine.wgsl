// out[t, h] = sum over k = 0..K-1, ascending, of weight[t, k] * y[slotRow[t*K + k], h];
// dropped slots (slotRow = NONE) are skipped, so they contribute exactly 0 and
// a token whose slots are all dropped gets exactly 0 (the residual add happens
// outside). A gather in a fixed order: deterministic. WG from
// COMBINE_TUNING; one invocation per chunk of COLS columns of a token
// (row-chunks.wgsl), written out with constant offsets.

struct Params {
  chunks: u32, // N * ceil(H / COLS): the invocations with work
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
  if (i >= p.chunks) { return; }
  let c = row_chunk(i, p.H);
  let t = c.x;
  let h = c.y;
  let n = c.z;
  let o = t * p.H + h;
  if (n == COLS) {
    var a0 = 0.0; var a1 = 0.0; var a2 = 0.0; var a3 = 0.0; var a4 = 0.0; var a5 = 0.0; var a6 = 0.0; var a7 = 0.0;
    for (var k = 0u; k < p.K; k++) {
      let s = t * p.K + k;
      let row = slot_row[s];
      if (row != NONE) {
        let w = weight[s];
        let b = row * p.H + h;
        a0 += w * y[b]; a1 += w * y[b + 1u]; a2 += w * y[b + 2u]; a3 += w * y[b + 3u];
        a4 += w * y[b + 4u]; a5 += w * y[b + 5u]; a6 += w * y[b + 6u]; a7 += w * y[b + 7u];
      }
    }
    out[o] = a0; out[o + 1u] = a1; out[o + 2u] = a2; out[o + 3u] = a3;
    out[o + 4u] = a4; out[o + 5u] = a5; out[o + 6u] = a6; out[o + 7u] = a7;
  } else {
    for (var j = 0u; j < n; j++) {
      var acc = 0.0;
      for (var k = 0u; k < p.K; k++) {
        let s = t * p.K + k;
        let row = slot_row[s];
        if (row != NONE) { acc += weight[s] * y[row * p.H + h + j]; }
      }
      out[o + j] = acc;
    }
  }
}
