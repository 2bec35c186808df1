import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../engine/model/safetensors.ts';

describe('safetensors', () => {
  it('writes the documented layout: u64 header length, JSON header, aligned raw floats', () => {
    const bytes = encodeSafetensors([{ name: 'w', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }], { step: '7' });
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLen) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
    expect(header.w).toEqual({ dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] });
    expect(header.__metadata__).toEqual({ step: '7' });
    // Data section: little-endian float32 1, 2, 3, 4 (1.0f = 0x3f800000).
    expect([...bytes.subarray(8 + headerLen, 8 + headerLen + 4)]).toEqual([0x00, 0x00, 0x80, 0x3f]);
    expect(bytes.length).toBe(8 + headerLen + 16);
  });

  it('round-trips tensors and metadata', () => {
    const a = { name: 'a', shape: [3], data: new Float32Array([0.5, -1, 3e-8]) };
    const b = { name: 'b.c', shape: [1, 2], data: new Float32Array([7, 8]) };
    const d = decodeSafetensors(encodeSafetensors([a, b], { model_hash: 'abc' }));
    expect([...d.tensors.get('a')!.data]).toEqual([...a.data]);
    expect(d.tensors.get('b.c')!.shape).toEqual([1, 2]);
    expect(d.metadata.model_hash).toBe('abc');
  });

  it('rejects truncated and malformed files with a message naming the problem', () => {
    const bytes = encodeSafetensors([{ name: 'w', shape: [4], data: new Float32Array(4) }]);
    expect(() => decodeSafetensors(bytes.subarray(0, 5), 'x.safetensors')).toThrow(/x.safetensors: file is 5 bytes/);
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4), 'x.safetensors')).toThrow(/'w'.*do not fit/);
    const bad = bytes.slice();
    bad[9] = 0x7b; // corrupt the JSON
    bad[10] = 0x7b;
    expect(() => decodeSafetensors(bad, 'x.safetensors')).toThrow(/not valid JSON/);
    expect(() => encodeSafetensors([{ name: 'w', shape: [3], data: new Float32Array(4) }])).toThrow(/shape \[3\] but 4 values/);
  });
});
