// Embedding backward, pass 2 of 3: a stable counting sort of positions by
// token id, in ONE workgroup of SORT_WG invocations.
//  1. offsets = exclusive prefix sum of counts (each invocation owns a
//     contiguous chunk of the vocabulary); offsets[V] = valid positions.
//     counts is then reused as the write cursor of each token.
//  2. Positions are placed block by block (SORT_WG positions per block, in
//     order). Within a block, a position's rank among equal ids is the number
//     of earlier lanes with that id, so every token's positions end up in
//     ascending order: a stable sort, whatever the hardware's scheduling.
// Ids outside [0, V) are skipped (the count pass skipped them too).
// SORT_WG comes from EMBEDDING_TUNING (header).

const NO_ID: u32 = 0xffffffffu;

struct Params {
  N: u32,
  V: u32,
}

@group(0) @binding(0) var<storage, read_write> offsets: array<u32>;    // [V + 1]
@group(0) @binding(1) var<storage, read_write> sorted_pos: array<u32>; // [N], first offsets[V] used
@group(0) @binding(2) var<storage, read_write> cursor: array<u32>;     // [V]: counts in, scratch out
@group(0) @binding(3) var<storage, read> ids: array<u32>;              // [N]
@group(0) @binding(4) var<uniform> p: Params;

var<workgroup> chunk_total: array<u32, SORT_WG>;
var<workgroup> block_ids: array<u32, SORT_WG>;

@compute @workgroup_size(SORT_WG)
fn main(@builtin(local_invocation_index) li: u32) {
  // ---- 1. exclusive scan of counts -> offsets; cursor[v] = offsets[v]
  let per = (p.V + SORT_WG - 1u) / SORT_WG;
  let first = min(li * per, p.V);
  let last = min(first + per, p.V);
  var total = 0u;
  for (var v = first; v < last; v++) { total += cursor[v]; }
  chunk_total[li] = total;
  workgroupBarrier();
  var run = 0u;
  for (var j = 0u; j < li; j++) { run += chunk_total[j]; }
  for (var v = first; v < last; v++) {
    let c = cursor[v];
    offsets[v] = run;
    cursor[v] = run;
    run += c;
  }
  // The last lane's running sum covers every chunk, even when its own is empty.
  if (li == SORT_WG - 1u) { offsets[p.V] = run; }
  storageBarrier();

  // ---- 2. stable scatter, one block of SORT_WG positions at a time
  for (var start = 0u; start < p.N; start += SORT_WG) {
    let n = start + li;
    var id = NO_ID;
    if (n < p.N && ids[n] < p.V) { id = ids[n]; }
    block_ids[li] = id;
    workgroupBarrier();
    var rank = 0u;
    var later = 0u;
    if (id != NO_ID) {
      for (var j = 0u; j < SORT_WG; j++) {
        if (block_ids[j] == id) {
          if (j < li) { rank++; } else if (j > li) { later++; }
        }
      }
      sorted_pos[cursor[id] + rank] = n;
    }
    // Every lane has read its token's cursor before the last lane of each token moves it.
    storageBarrier();
    if (id != NO_ID && later == 0u) { cursor[id] += rank + 1u; }
    // The moved cursors are visible, and block_ids is free, before the next block.
    storageBarrier();
    workgroupBarrier();
  }
}
