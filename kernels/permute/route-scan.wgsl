// routeSlots, pass 2 of 3. A single workgroup of SCAN_WG invocations; each
// owns a contiguous chunk of experts (any E works; E <= SCAN_WG gives one each).
//  - per expert, over blocks in order: block_base[b, e] becomes the exclusive
//    prefix of block_counts[., e] (in place), and counts[e] the total;
//  - kept[e] = min(counts[e], capacity); offsets = exclusive prefix of kept
//    across experts, offsets[E] = kept rows; dropped = sum(counts - kept).
// Fixed-order integer sums: deterministic. SCAN_WG comes from ROUTE_TUNING.

struct Params {
  E: u32,
  blocks: u32,
  capacity: u32, // 0xffffffff when dropping is off
}

@group(0) @binding(0) var<storage, read_write> counts: array<u32>;     // [E]
@group(0) @binding(1) var<storage, read_write> offsets: array<u32>;    // [E + 1]
@group(0) @binding(2) var<storage, read_write> dropped: array<u32>;    // [1]
@group(0) @binding(3) var<storage, read_write> block_base: array<u32>; // [blocks, E], counts in, bases out
@group(0) @binding(4) var<uniform> p: Params;

var<workgroup> chunk_kept: array<u32, SCAN_WG>;
var<workgroup> chunk_dropped: array<u32, SCAN_WG>;

@compute @workgroup_size(SCAN_WG)
fn main(@builtin(local_invocation_index) li: u32) {
  let per = (p.E + SCAN_WG - 1u) / SCAN_WG;
  let first = min(li * per, p.E);
  let last = min(first + per, p.E);
  var kept = 0u;
  var drop = 0u;
  for (var e = first; e < last; e++) {
    var run = 0u;
    for (var b = 0u; b < p.blocks; b++) {
      let i = b * p.E + e;
      let c = block_base[i];
      block_base[i] = run;
      run += c;
    }
    counts[e] = run;
    let k = min(run, p.capacity);
    kept += k;
    drop += run - k;
  }
  chunk_kept[li] = kept;
  chunk_dropped[li] = drop;
  workgroupBarrier();
  // Exclusive prefix of the chunk totals before this chunk (SCAN_WG adds at most).
  var base = 0u;
  for (var j = 0u; j < li; j++) { base += chunk_kept[j]; }
  for (var e = first; e < last; e++) {
    offsets[e] = base;
    base += min(counts[e], p.capacity);
  }
  // The last invocation's chunk ends at E (trailing chunks may be empty).
  if (li == SCAN_WG - 1u) {
    offsets[p.E] = base;
    var d = 0u;
    for (var j = 0u; j < SCAN_WG; j++) { d += chunk_dropped[j]; }
    dropped[0] = d;
  }
}
