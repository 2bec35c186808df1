#!/usr/bin/env node
// The `moe` command. The CLI is TypeScript (engine/cli/main.ts); tsx, a
// runtime dependency, compiles it on the fly, so the package needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../engine/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
