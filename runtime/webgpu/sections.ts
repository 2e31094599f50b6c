/**
 * Conditional sections of WGSL kernel bodies, chosen when a body is specialised to a tile
 * shape (as the unrolled loops of unroll.ts). A kernel body is emitted once per pattern, but
 * some of its code exists only on devices with a feature: WGSL subgroup builtins do not even
 * parse without `enable subgroups;`, so a constant `if` cannot hold them. A body marks such
 * code with comment lines of their own:
 *
 *     /*#if subgroups*\/
 *     ...code for devices with the feature...
 *     /*#else*\/
 *     ...code for the others...
 *     /*#endif*\/
 *
 * and the runtime keeps the lines of the branch its flags pick (the marker lines go). The
 * `#else` part is optional; sections do not nest (checked).
 */

const MARKER = /^[ \t]*\/\*#(if (\w+)|else|endif)\*\/[ \t]*$/;

/** `source` with each marked section reduced to the branch `flags` selects. */
export function selectSections(source: string, flags: Readonly<Record<string, boolean>>): string {
  if (!source.includes('/*#')) return source;
  const out: string[] = [];
  let open: { flag: string; keep: boolean; inElse: boolean } | undefined;
  const bug = (why: string) => new Error(`internal error (a bug in attnc): ${why}`);
  for (const line of source.split('\n')) {
    const m = MARKER.exec(line);
    if (!m) {
      if (!open || open.keep !== open.inElse) out.push(line);
      continue;
    }
    if (m[2] !== undefined) {
      if (open) throw bug(`a \`/*#if ${m[2]}*/\` section inside the \`${open.flag}\` one`);
      if (!(m[2] in flags)) throw bug(`the section flag \`${m[2]}\` has no value`);
      open = { flag: m[2], keep: flags[m[2]], inElse: false };
    } else if (m[1] === 'else') {
      if (!open || open.inElse) throw bug('a `/*#else*/` outside a section');
      open.inElse = true;
    } else {
      if (!open) throw bug('a `/*#endif*/` outside a section');
      open = undefined;
    }
  }
  if (open) throw bug(`the \`${open.flag}\` section is not closed`);
  return out.join('\n');
}
