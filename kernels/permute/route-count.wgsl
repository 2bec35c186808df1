// routeSlots, pass 1 of 3. One workgroup per block of BLOCK consecutive slots.
// For every slot: its rank among the earlier slots of its block that chose the
// same expert. For every (block, expert): how many of the block's slots chose
// that expert. Both are plain counting loops over the block's experts held in
// workgroup memory, so the result is the same on every run and device (no
// atomics, no ordering races). BLOCK comes from ROUTE_TUNING (route.ts).

struct Params {
  R: u32,      // slots, N * K
  E: u32,      // experts
  blocks: u32, // ceil(R / BLOCK)
}

@group(0) @binding(0) var<storage, read_write> block_counts: array<u32>; // [blocks, E]
@group(0) @binding(1) var<storage, read_write> rank: array<u32>;         // [R]
@group(0) @binding(2) var<storage, read> idx: array<u32>;                // [R] = idx_NK
@group(0) @binding(3) var<uniform> p: Params;

// Marks lanes past the last slot; never equal to an expert index < E.
const NO_EXPERT: u32 = 0xffffffffu;

var<workgroup> block_expert: array<u32, BLOCK>;

@compute @workgroup_size(BLOCK)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let b = wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y;
  if (b >= p.blocks) { return; } // folded launches overshoot; uniform per workgroup
  let s = b * BLOCK + li;
  var e = NO_EXPERT;
  if (s < p.R) { e = idx[s]; }
  block_expert[li] = e;
  workgroupBarrier();
  if (s < p.R) {
    var r = 0u;
    for (var j = 0u; j < li; j++) {
      if (block_expert[j] == e) { r++; }
    }
    rank[s] = r;
  }
  // Every (block, expert) entry is written, zeros included (pool buffers are dirty).
  for (var x = li; x < p.E; x += BLOCK) {
    var c = 0u;
    for (var j = 0u; j < BLOCK; j++) {
      if (block_expert[j] == x) { c++; }
    }
    block_counts[b * p.E + x] = c;
  }
}
