// Embedding backward, pass 1 of 3: counts[v] = number of positions whose id
// is v (integer atomics are order-independent, so this is deterministic).
// Ids outside [0, V) are not counted. counts must be zeroed by the caller.
// WG comes from EMBEDDING_TUNING (header).

struct Params {
  N: u32,
  V: u32,
}

@group(0) @binding(0) var<storage, read_write> counts: array<atomic<u32>>; // [V]
@group(0) @binding(1) var<storage, read> ids: array<u32>;                  // [N]
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let n = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * WG + li;
  if (n >= p.N) { return; }
  let id = ids[n];
  if (id < p.V) { atomicAdd(&counts[id], 1u); }
}
