// Embedding backward, pass 3 of 3: dTable[v, h] = sum of dOut[n, h] over the
// positions n of token v, in ascending n (the sorted order from pass 2).
// One invocation owns one (v, h): no float atomics, a fixed summation order,
// so the same bits every run. Unused vocabulary rows get exactly 0 (or keep
// their value when ACCUMULATE). WG comes from EMBEDDING_TUNING (header).
override ACCUMULATE: bool = false;

struct Params {
  V: u32,
  H: u32,
}

@group(0) @binding(0) var<storage, read_write> dtable: array<f32>; // [V, H]
@group(0) @binding(1) var<storage, read> dout: array<f32>;         // [N, H]
@group(0) @binding(2) var<storage, read> offsets: array<u32>;      // [V + 1]
@group(0) @binding(3) var<storage, read> sorted_pos: array<u32>;   // [N]
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * WG + li;
  if (i >= p.V * p.H) { return; }
  let v = i / p.H;
  let h = i % p.H;
  var s = 0.0;
  for (var j = offsets[v]; j < offsets[v + 1u]; j++) {
    s += dout[sorted_pos[j] * p.H + h];
  }
  if (ACCUMULATE) { s += dtable[i]; }
  dtable[i] = s;
}
