/** `attnc ast`: a readable dump of a checked program. */
import { show } from '../ir/mask.ts';
import { inputTypeText, type CheckedPattern, type CheckedProgram } from '../ir/program.ts';

/** Renders every pattern of a program as indented text. */
export function dumpProgram(prog: CheckedProgram): string {
  return prog.patterns.map(dumpPattern).join('\n\n') + '\n';
}

function dumpPattern(p: CheckedPattern): string {
  const lines = [`pattern ${p.name}  (${p.file.name}:${p.span.line})`];
  if (p.doc) lines.push(...p.doc.split('\n').map((l) => `  /// ${l}`));
  for (const prm of p.params) {
    const type = prm.type === 'int[]' || prm.type === 'float[]' ? inputTypeText(prm) : prm.type;
    const extra = [
      prm.default !== undefined ? `default ${prm.default}` : '',
      prm.range ? `range ${prm.range.lo}..${prm.range.hi ?? ''}` : '',
      prm.indexedBy ? `indexed by ${prm.indexedBy.join(', ')}` : '',
      prm.used ? '' : 'unused',
    ].filter(Boolean);
    lines.push(`  param ${prm.mode} ${prm.name}: ${type}${extra.length ? `  [${extra.join('; ')}]` : ''}`);
  }
  if (p.layout) lines.push(`  layout grid(${p.layout.map((a) => `${a.name}: ${show(a.size)}`).join(', ')})`);
  for (const a of p.allows) lines.push(`  allow   ${show(a)}`);
  for (const r of p.requires) lines.push(`  require ${show(r)}`);
  for (const d of p.denies) lines.push(`  deny    ${show(d)}`);
  if (p.select) {
    const sel = p.select;
    const score = sel.score.kind === 'dot' ? `dot(mean(q), ${sel.score.kPool}(k))` : sel.score.kind === 'bound' ? 'bound(mean(q), k)' : sel.score.name;
    lines.push(`  select  top(${show(sel.k)}) blocks(${show(sel.blockQ)}, ${show(sel.blockKv)}) by ${score}${sel.perKvHead ? ' per kv_head' : ''}`);
    lines.push(`  static  ${show(p.mask)}  (the selected blocks add: ${show(sel.restriction)})`);
  } else lines.push(`  mask    ${show(p.mask)}`);
  if (p.softcap) lines.push(`  softcap ${show(p.softcap)}`);
  if (p.bias) lines.push(`  bias    ${show(p.bias)}`);
  for (const a of p.asserts) lines.push(`  assert  ${show(a.cond)}${a.message ? `, "${a.message}"` : ''}`);
  return lines.join('\n');
}
