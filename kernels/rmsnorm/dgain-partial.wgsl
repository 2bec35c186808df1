// RMSNorm backward for the gain, stage 1 of 2 (no float atomics: a fixed-order
// two-stage column reduction). Invocation (c, h) owns one partial sum over the
// rows of chunk c, taken in ascending row order:
//   partial[c, h] = sum_{n in chunk c} dy[n, h] * x[n, h] * rinv[n]
// Neighbouring invocations read neighbouring columns (coalesced).
// WG and CHUNK_ROWS come from RMSNORM_TUNING (header).

struct Params {
  N: u32,
  H: u32,
  chunks: u32,
}

@group(0) @binding(0) var<storage, read_write> partial: array<f32>; // [chunks, H]
@group(0) @binding(1) var<storage, read> dy: array<f32>;            // [N, H]
@group(0) @binding(2) var<storage, read> x: array<f32>;             // [N, H]
@group(0) @binding(3) var<storage, read> rinv: array<f32>;          // [N]
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * WG + li;
  if (i >= p.chunks * p.H) { return; }
  let c = i / p.H;
  let h = i % p.H;
  let first = c * CHUNK_ROWS;
  let last = min(first + CHUNK_ROWS, p.N);
  var s = 0.0;
  for (var n = first; n < last; n++) {
    s = fma(dy[n * p.H + h] * x[n * p.H + h], rinv[n], s);
  }
  partial[i] = s;
}
