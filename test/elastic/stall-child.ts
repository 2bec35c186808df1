/**
 * Child process for the "pointer before durability" case: commits step 1,
 * then requests a save of step 2 whose writes stall for STALL_MS, prints
 * `requested 2` and keeps "training" until killed.
 * Usage: node --import tsx test/elastic/stall-child.ts <dir> <stall ms>
 */
import { Checkpointer } from '../../elastic/checkpointer.ts';
import { LocalStore } from '../../elastic/local-store.ts';
import { nodeSha256 } from '../../elastic/node-sha256.ts';
import { MODEL_HASH, syntheticSnapshot, withWrites } from './fixtures.ts';

const [dir, stallMs] = process.argv.slice(2);
const local = new LocalStore(dir);
let stall = false;
const store = withWrites(local, async (p, b) => {
  if (stall) await new Promise((r) => setTimeout(r, Number(stallMs)));
  return local.writeAtomic(p, b);
});
const c = new Checkpointer({ store, retention: 1, modelHash: MODEL_HASH, numExperts: 4, engineVersion: 'test', host: 'stall-child', sha256: nodeSha256 });
await c.save(syntheticSnapshot(1));
await c.flush();
stall = true;
await c.save(syntheticSnapshot(2));
process.stdout.write('requested 2\n');
setInterval(() => {}, 1000);
