/** Browser stand-in for `prettier`: its standalone build with the TypeScript parser (what `emit-ts` formats with). */
import { format as formatStandalone } from 'prettier/standalone';
import estree from 'prettier/plugins/estree';
import typescript from 'prettier/plugins/typescript';

export const format = (text: string, opts: Parameters<typeof formatStandalone>[1]) => formatStandalone(text, { ...opts, plugins: [estree, typescript] });
