#!/usr/bin/env node
// attnc command-line entry. Runs the built bundle (dist/cli.mjs, made by `npm ci` or
// `npm run build`); in a checkout whose sources changed since that build, runs the TypeScript
// sources through tsx instead, so the command never runs stale code.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_SOURCE_DIRS, distIsCurrent, SOURCE_DIRS } from './dist-state.mjs';

// A reader that stops early (`attnc schedule ... | head`) is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

let main;
// `attnc playground` serves the built page, which embeds the bundled patterns.
if (distIsCurrent(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'), process.argv[2] === 'playground' ? SOURCE_DIRS : CLI_SOURCE_DIRS)) {
  ({ main } = await import('../dist/cli.mjs'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../compiler/cli/main.ts'));
}
process.exitCode = await main(process.argv);
