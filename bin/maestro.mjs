#!/usr/bin/env node
// The `maestro` executable: runs the TypeScript sources directly through tsx, so a checkout works
// after `npm install` with no build step (`npx maestro <subcommand>`).
import { register } from 'tsx/esm/api';

register();
const { run } = await import('./cli.ts');
await run(process.argv.slice(2), process.env);
