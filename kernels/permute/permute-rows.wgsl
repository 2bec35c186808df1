// xp[r, h] = x[rowSlot[r] / K, h] for permuted rows r < offsets[E]; rows at or
// beyond offsets[E] are written as 0, so the worst-case-sized buffer holds
// no stale values (the expert GEMM runs over it). One invocation per element
// of xp [R, H], launched for the worst case R = N*K; the kept-row count is
// read from offsets[E] on the GPU, never from the host. WG from PERMUTE_TUNING.

struct Params {
  RH: u32, // R * H, the elements of xp
  H: u32,
  K: u32,
  E: u32,
}

@group(0) @binding(0) var<storage, read_write> xp: array<f32>;  // [R, H]
@group(0) @binding(1) var<storage, read> x: array<f32>;         // [N, H]
@group(0) @binding(2) var<storage, read> row_slot: array<u32>;  // [R]
@group(0) @binding(3) var<storage, read> offsets: array<u32>;   // [E + 1]
@group(0) @binding(4) var<uniform> p: Params;

override WG: u32;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * WG + li;
  if (i >= p.RH) { return; }
  let r = i / p.H;
  var v = 0.0;
  if (r < offsets[p.E]) {
    let t = row_slot[r] / p.K;
    v = x[t * p.H + (i - r * p.H)];
  }
  xp[i] = v;
}
