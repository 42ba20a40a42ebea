#!/usr/bin/env node
// The `maestro` executable: runs the TypeScript sources directly through tsx, so a checkout works
// after `npm install` with no build step (`npx maestro <subcommand>`).
//
// libuv's thread pool (4 threads by default) runs the agent's checkpoint fsyncs; a larger pool
// lets those of a launch wave overlap. It must be set before the pool is first used, hence the
// dynamic imports below.
process.env.UV_THREADPOOL_SIZE ??= '16';
const { register } = await import('tsx/esm/api');
register();
const { run } = await import('./cli.ts');
await run(process.argv.slice(2), process.env);
