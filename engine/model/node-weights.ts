/**
 * Final weights on disk as safetensors (Node only): written to a temporary
 * name, fsynced and renamed, so a crash never leaves a half-written file
 * under the real name. The model-shape hash travels in the metadata and is
 * checked on load.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { decodeSafetensors, encodeSafetensors } from './safetensors.ts';
import type { MoeModel } from './model.ts';
import { ensureDirSync } from '../node/dirs.ts';

export async function saveWeights(model: MoeModel, path: string, metadata: Record<string, string>): Promise<void> {
  const host = await model.gpu.readMany(model.specs.map((s) => model.param(s.name)));
  const bytes = encodeSafetensors(
    model.specs.map((s, i) => ({ name: s.name, shape: s.shape, data: host[i] as Float32Array })),
    metadata,
  );
  ensureDirSync(dirname(path));
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** Loads weights into the model; refuses a file whose tensors or model hash do not match. */
export function loadWeights(model: MoeModel, path: string, expectedModelHash?: string): Record<string, string> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read weights '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; hint: train first (moe train) or pass --weights`);
  }
  const { tensors, metadata } = decodeSafetensors(bytes, path);
  if (expectedModelHash && metadata.model_hash && metadata.model_hash !== expectedModelHash) {
    throw new Error(`weights '${path}' were trained with a different model shape (model hash ${metadata.model_hash}, config gives ${expectedModelHash}); hint: pass the config used for training`);
  }
  for (const s of model.specs) {
    const t = tensors.get(s.name);
    if (!t) throw new Error(`weights '${path}' have no tensor '${s.name}'; hint: the file is from another model shape`);
    if (t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i])) {
      throw new Error(`weights '${path}': '${s.name}' is [${t.shape.join(', ')}], the config's model needs [${s.shape.join(', ')}]`);
    }
    model.gpu.write(model.param(s.name), t.data);
  }
  return metadata;
}
