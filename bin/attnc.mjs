#!/usr/bin/env node
// attnc command-line entry. The compiler is TypeScript, loaded through tsx's ESM hook.
import { register } from 'tsx/esm/api';

// A reader that stops early (`attnc schedule ... | head`) is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
register();
const { main } = await import('../compiler/cli/main.ts');
process.exitCode = await main(process.argv);
