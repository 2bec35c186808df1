/**
 * Child process for the checkpoint.dir lock test: takes the lock of <dir>
 * as `moe train` does, prints `locked`, and holds it until killed.
 * Usage: node --import tsx test/elastic/lock-child.ts <dir>
 */
import { lockDir } from '../../elastic/dir-lock.ts';

await lockDir(process.argv[2], `checkpoint.dir ${process.argv[2]}`);
process.stdout.write('locked\n');
// The lock's socket is unref'ed (it must not keep a finished run alive): this timer keeps the child up.
setInterval(() => {}, 60_000);
