// routeSlots, pass 3 of 3. One invocation per slot s (launched for all R = N*K
// slots; indices guarded). Its position within its expert is
//   pos = block_base[block(s), e] + rank[s]   (stable: ascending s),
// it is kept when pos < capacity, at row offsets[e] + pos. Rows at or beyond
// offsets[E] get rowSlot = NONE, so every element of both outputs is written.
// An expert index >= E (a contract violation) gets no row and is counted
// nowhere, so checkRouting's sum(counts) == N*K check reports it.
// PLACE_WG and BLOCK come from ROUTE_TUNING (route.ts).

struct Params {
  R: u32,
  E: u32,
  capacity: u32, // 0xffffffff when dropping is off
}

@group(0) @binding(0) var<storage, read_write> slot_row: array<u32>; // [R]
@group(0) @binding(1) var<storage, read_write> row_slot: array<u32>; // [R]
@group(0) @binding(2) var<storage, read> idx: array<u32>;            // [R]
@group(0) @binding(3) var<storage, read> rank: array<u32>;           // [R]
@group(0) @binding(4) var<storage, read> block_base: array<u32>;     // [blocks, E]
@group(0) @binding(5) var<storage, read> offsets: array<u32>;        // [E + 1]
@group(0) @binding(6) var<uniform> p: Params;

const NONE: u32 = 0xffffffffu;

@compute @workgroup_size(PLACE_WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let s = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * PLACE_WG + li;
  if (s >= p.R) { return; }
  if (s >= offsets[p.E]) { row_slot[s] = NONE; }
  let e = idx[s];
  var row = NONE;
  if (e < p.E) {
    let pos = block_base[(s / BLOCK) * p.E + e] + rank[s];
    if (pos < p.capacity) {
      row = offsets[e] + pos;
      row_slot[row] = s;
    }
  }
  slot_row[s] = row;
}
