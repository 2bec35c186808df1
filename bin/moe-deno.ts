// The `moe` command under Deno (its built-in WebGPU): `deno task moe <command>`,
// which runs this through scripts/moe-deno.sh (software Vulkan when no GPU).
import { main } from '../engine/cli/main.ts';

const deno = (globalThis as unknown as { Deno: { args: string[]; exit(code: number): never } }).Deno;
deno.exit(await main(deno.args));
