/** SHA-256 through node:crypto (native, fast) for checkpoint shards in Node. */
import { createHash } from 'node:crypto';

export const nodeSha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
