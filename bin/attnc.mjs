#!/usr/bin/env node
// attnc command-line entry. The compiler is TypeScript, loaded through tsx's ESM hook.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../compiler/cli/main.ts');
process.exitCode = await main(process.argv);
