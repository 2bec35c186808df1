/**
 * The shape of the model, derived from the validated config. Byte-level:
 * vocab 256. Legend: V vocab, H hidden, L layers, E experts, K top-k,
 * F expert FFN dim, S sequence length.
 */
export interface ModelDims {
  readonly vocab: number;
  readonly hidden: number;
  readonly layers: number;
  readonly experts: number;
  readonly topK: number;
  readonly ffn: number;
  readonly capacityFactor: number;
  readonly dropTokens: boolean;
  readonly rmsEps: number;
}
