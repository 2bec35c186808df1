// Embedding forward: out[n, h] = table[ids[n], h], one invocation per output
// element. An id outside [0, V) yields a zero row; callers validate ids on
// the host first (checkTokenIds), which names the bad id and its position.
// WG comes from EMBEDDING_TUNING (header).

struct Params {
  N: u32,
  V: u32,
  H: u32,
}

@group(0) @binding(0) var<storage, read_write> out: array<f32>; // [N, H]
@group(0) @binding(1) var<storage, read> table: array<f32>;     // [V, H]
@group(0) @binding(2) var<storage, read> ids: array<u32>;       // [N]
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * WG + li;
  if (i >= p.N * p.H) { return; }
  let id = ids[i / p.H];
  var v = 0.0;
  if (id < p.V) { v = table[id * p.H + i % p.H]; }
  out[i] = v;
}
