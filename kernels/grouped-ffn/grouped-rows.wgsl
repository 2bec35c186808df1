// Grouped GEMM over the permuted rows of all experts in ONE launch:
//   C[r, :] = op_A(r) · W_e   for every row r of expert e (rows offsets[e]..offsets[e+1])
// op_A(r) = A[r, :], or silu(A[r, :]) * A2[r, :] when SWIGLU_A (the SwiGLU
// activation fused into the load). W is [E, K, N], or [E, N, K] when TRANS_W.
// Work is cut into row tiles that never cross an expert: tile t of the launch
// is found by walking the experts' tile counts (ceil(rows_e / BM)); the launch
// is sized for the worst case (ceil(R / BM) + E tiles) and surplus tiles
// return at once, so no count is read back to the host and an expert with no
// rows costs nothing. Each invocation computes TM x TN = 8 x 8 outputs held in
// sixteen named vec4 accumulators (written out: SwiftShader does not unroll),
// rows contiguous, columns WG_X apart. TM, TN, WG_X, WG_Y: header from
// grouped-ffn.ts.
override TRANS_W: bool = false;
override SWIGLU_A: bool = false;
override ACCUMULATE: bool = false;

const BM: u32 = WG_Y * TM;

struct Params {
  R: u32,
  E: u32,
  K: u32,
  N: u32,
}

@group(0) @binding(0) var<storage, read_write> C: array<f32>;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> A2: array<f32>;
@group(0) @binding(3) var<storage, read> W: array<f32>;
@group(0) @binding(4) var<storage, read> offsets: array<u32>;
@group(0) @binding(5) var<uniform> p: Params;

fn silu(x: f32) -> f32 { return x / (1.0 + exp(-x)); }

fn a_at(i: u32) -> f32 {
  if (SWIGLU_A) { return silu(A[i]) * A2[i]; }
  return A[i];
}

fn w_base(e: u32, n: u32) -> u32 {
  if (TRANS_W) { return e * p.N * p.K + n * p.K; }
  return e * p.K * p.N + n;
}
fn w_step() -> u32 { if (TRANS_W) { return 1u; } return p.N; }

fn store(row: u32, rowEnd: u32, col0: u32, v: vec4f, w: vec4f) {
  if (row >= rowEnd) { return; }
  let r = row * p.N;
  for (var j = 0u; j < TN; j++) {
    let col = col0 + j * WG_X;
    if (col >= p.N) { return; }
    var x: f32;
    if (j < 4u) { x = v[j]; } else { x = w[j - 4u]; }
    if (ACCUMULATE) { x += C[r + col]; }
    C[r + col] = x;
  }
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let t = wid.y + wid.z * nwg.y;
  var e = p.E;
  var first = 0u;
  var tileStart = 0u;
  var rowEnd = 0u;
  for (var i = 0u; i < p.E; i++) {
    let s = offsets[i];
    let n = offsets[i + 1u] - s;
    let nt = (n + BM - 1u) / BM;
    if (t < first + nt) {
      e = i;
      tileStart = s + (t - first) * BM;
      rowEnd = offsets[i + 1u];
      break;
    }
    first += nt;
  }
  if (e == p.E) { return; } // a surplus tile of the worst-case launch
  let row0 = tileStart + lid.y * TM;
  let col0 = wid.x * (WG_X * TN) + lid.x;
  let lastRow = rowEnd - 1u;
  let lastN = max(p.N, 1u) - 1u;
  let a0 = min(row0 + 0u, lastRow) * p.K;
  let a1 = min(row0 + 1u, lastRow) * p.K;
  let a2 = min(row0 + 2u, lastRow) * p.K;
  let a3 = min(row0 + 3u, lastRow) * p.K;
  let a4 = min(row0 + 4u, lastRow) * p.K;
  let a5 = min(row0 + 5u, lastRow) * p.K;
  let a6 = min(row0 + 6u, lastRow) * p.K;
  let a7 = min(row0 + 7u, lastRow) * p.K;
  let b0 = w_base(e, min(col0 + 0u * WG_X, lastN));
  let b1 = w_base(e, min(col0 + 1u * WG_X, lastN));
  let b2 = w_base(e, min(col0 + 2u * WG_X, lastN));
  let b3 = w_base(e, min(col0 + 3u * WG_X, lastN));
  let b4 = w_base(e, min(col0 + 4u * WG_X, lastN));
  let b5 = w_base(e, min(col0 + 5u * WG_X, lastN));
  let b6 = w_base(e, min(col0 + 6u * WG_X, lastN));
  let b7 = w_base(e, min(col0 + 7u * WG_X, lastN));
  let sw = w_step();
  var c0l = vec4f(0.0); var c0h = vec4f(0.0);
  var c1l = vec4f(0.0); var c1h = vec4f(0.0);
  var c2l = vec4f(0.0); var c2h = vec4f(0.0);
  var c3l = vec4f(0.0); var c3h = vec4f(0.0);
  var c4l = vec4f(0.0); var c4h = vec4f(0.0);
  var c5l = vec4f(0.0); var c5h = vec4f(0.0);
  var c6l = vec4f(0.0); var c6h = vec4f(0.0);
  var c7l = vec4f(0.0); var c7h = vec4f(0.0);
  var kb = 0u;
  for (var k = 0u; k < p.K; k++) {
    let bl = vec4f(W[b0 + kb], W[b1 + kb], W[b2 + kb], W[b3 + kb]);
    let bh = vec4f(W[b4 + kb], W[b5 + kb], W[b6 + kb], W[b7 + kb]);
    let x0 = vec4f(a_at(a0 + k)); c0l = fma(x0, bl, c0l); c0h = fma(x0, bh, c0h);
    let x1 = vec4f(a_at(a1 + k)); c1l = fma(x1, bl, c1l); c1h = fma(x1, bh, c1h);
    let x2 = vec4f(a_at(a2 + k)); c2l = fma(x2, bl, c2l); c2h = fma(x2, bh, c2h);
    let x3 = vec4f(a_at(a3 + k)); c3l = fma(x3, bl, c3l); c3h = fma(x3, bh, c3h);
    let x4 = vec4f(a_at(a4 + k)); c4l = fma(x4, bl, c4l); c4h = fma(x4, bh, c4h);
    let x5 = vec4f(a_at(a5 + k)); c5l = fma(x5, bl, c5l); c5h = fma(x5, bh, c5h);
    let x6 = vec4f(a_at(a6 + k)); c6l = fma(x6, bl, c6l); c6h = fma(x6, bh, c6h);
    let x7 = vec4f(a_at(a7 + k)); c7l = fma(x7, bl, c7l); c7h = fma(x7, bh, c7h);
    kb += sw;
  }
  store(row0 + 0u, rowEnd, col0, c0l, c0h);
  store(row0 + 1u, rowEnd, col0, c1l, c1h);
  store(row0 + 2u, rowEnd, col0, c2l, c2h);
  store(row0 + 3u, rowEnd, col0, c3l, c3h);
  store(row0 + 4u, rowEnd, col0, c4l, c4h);
  store(row0 + 5u, rowEnd, col0, c5l, c5h);
  store(row0 + 6u, rowEnd, col0, c6l, c6h);
  store(row0 + 7u, rowEnd, col0, c7l, c7h);
}
