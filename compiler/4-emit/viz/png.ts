/** PNG output: the SVG map rasterised with resvg (system fonts for the labels). */
import { createRequire } from 'node:module';

type ResvgModule = typeof import('@resvg/resvg-js');
let resvg: ResvgModule | undefined;

/** Rasterises an SVG document to PNG bytes. resvg (a native module) is loaded on first use. */
export function svgToPng(svg: string): Uint8Array {
  resvg ??= createRequire(import.meta.url)('@resvg/resvg-js') as ResvgModule;
  const r = new resvg.Resvg(svg, { background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, fitTo: { mode: 'zoom', value: 1.5 } });
  return r.render().asPng();
}
