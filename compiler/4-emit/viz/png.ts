/** PNG output: the SVG map rasterised with resvg (system fonts for the labels). */
import { Resvg } from '@resvg/resvg-js';

/** Rasterises an SVG document to PNG bytes. */
export function svgToPng(svg: string): Uint8Array {
  const r = new Resvg(svg, { background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, fitTo: { mode: 'zoom', value: 1.5 } });
  return r.render().asPng();
}
