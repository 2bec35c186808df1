/**
 * Child process for the kill -9 test: starts like a training run would
 * (clean temporaries, find the resume point), then saves synthetic steps
 * until killed, one per simulated training step. Prints `resumed <step|none>`
 * and then `saving` once the first save is queued.
 * Usage: node --import tsx test/elastic/kill-child.ts <dir> <floats per tensor>
 */
import { Checkpointer } from '../../elastic/checkpointer.ts';
import { LocalStore } from '../../elastic/local-store.ts';
import { nodeSha256 } from '../../elastic/node-sha256.ts';
import { findResumePoint } from '../../elastic/resume.ts';
import { MODEL_HASH, syntheticSnapshot } from './fixtures.ts';

const [dir, size] = process.argv.slice(2);
const store = new LocalStore(dir);
store.cleanTemporaries();
const point = await findResumePoint(store, { modelHash: MODEL_HASH, sha256: nodeSha256 });
process.stdout.write(`resumed ${point?.snapshot.step ?? 'none'}\n`);
const c = new Checkpointer({ store, retention: 2, depth: 2, modelHash: MODEL_HASH, numExperts: 4, engineVersion: 'test', host: 'kill-child', sha256: nodeSha256 });
/**
 * A training step's GPU work, as the trainer awaits it: a macrotask. save()
 * returns at once when the queue has room (a full queue supersedes its
 * waiting save), so a loop of bare saves would never let the background
 * writes' I/O callbacks run and nothing would ever commit.
 */
const STEP_MS = 10;
const trainingStep = () => new Promise((resolve) => setTimeout(resolve, STEP_MS));
let step = (point?.snapshot.step ?? 0) + 1;
for (;;) {
  await c.save(syntheticSnapshot(step, Number(size), 2));
  await trainingStep();
  if (step === (point?.snapshot.step ?? 0) + 1) process.stdout.write('saving\n');
  step++;
}
