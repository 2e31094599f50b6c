/**
 * Browser stand-in for `runtime/io/package-root.ts`: the package's files (templates/, profiles/)
 * are embedded in the bundle under the virtual root `/attnc/`, where `fs.ts` serves them.
 */
export const ROOT = '/attnc';

/** The virtual path of `rel` (`/`-separated, relative to attnc's package root). */
export function packagePath(rel: string): string {
  return `${ROOT}/${rel}`;
}
