/** `attnc simulate --sweep`: predicted speedup against the swept variable, as SVG. */

/** One predicted or measured point. */
export interface SweepPoint {
  readonly x: number;
  readonly speedup: number;
  readonly ideal?: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fmtX = (x: number) => (x >= 1 << 20 && x % (1 << 20) === 0 ? `${x >> 20}M` : x >= 1024 && x % 1024 === 0 ? `${x >> 10}k` : `${x}`);

/** Line plot on log2 x and log2 y axes; measured points drawn as dots. */
export function sweepSvg(title: string, xLabel: string, predicted: readonly SweepPoint[], measured: readonly SweepPoint[] = [], seriesLabel = 'predicted speedup'): string {
  const W = 720, Hh = 440, L = 70, R = 30, T = 60, B = 60;
  const xs = [...predicted, ...measured].map((p) => p.x);
  const ys = [...predicted.flatMap((p) => [p.speedup, p.ideal ?? p.speedup]), ...measured.map((p) => p.speedup), 1];
  const x0 = Math.log2(Math.min(...xs)), x1 = Math.log2(Math.max(...xs));
  const y0 = Math.floor(Math.log2(Math.max(0.25, Math.min(...ys)))), y1 = Math.ceil(Math.log2(Math.max(...ys)));
  const px = (x: number) => L + ((Math.log2(x) - x0) / Math.max(1e-9, x1 - x0)) * (W - L - R);
  const py = (y: number) => T + (1 - (Math.log2(Math.max(y, 2 ** y0)) - y0) / Math.max(1e-9, y1 - y0)) * (Hh - T - B);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${Hh}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`, `<rect width="100%" height="100%" fill="white"/>`];
  out.push(`<text x="${L}" y="28" font-size="16" font-weight="bold">${esc(title)}</text>`);
  for (let e = y0; e <= y1; e++) {
    const y = py(2 ** e);
    out.push(`<line x1="${L}" y1="${y.toFixed(1)}" x2="${W - R}" y2="${y.toFixed(1)}" stroke="#e3e6ea"/><text x="${L - 8}" y="${(y + 4).toFixed(1)}" font-size="11" text-anchor="end">${2 ** e}x</text>`);
  }
  for (const p of predicted) {
    const x = px(p.x);
    out.push(`<line x1="${x.toFixed(1)}" y1="${Hh - B}" x2="${x.toFixed(1)}" y2="${Hh - B + 5}" stroke="#333"/><text x="${x.toFixed(1)}" y="${Hh - B + 18}" font-size="11" text-anchor="middle">${fmtX(p.x)}</text>`);
  }
  const line = (pts: readonly SweepPoint[], f: (p: SweepPoint) => number, color: string, dash = '') =>
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ''} points="${pts.map((p) => `${px(p.x).toFixed(1)},${py(f(p)).toFixed(1)}`).join(' ')}"/>`);
  if (predicted.some((p) => p.ideal !== undefined)) line(predicted, (p) => p.ideal ?? p.speedup, '#999', '5,4');
  line(predicted, (p) => p.speedup, '#1f4e9c');
  for (const m of measured) out.push(`<circle cx="${px(m.x).toFixed(1)}" cy="${py(m.speedup).toFixed(1)}" r="4.5" fill="#f28e2b" stroke="#333"/>`);
  out.push(`<line x1="${L}" y1="${Hh - B}" x2="${W - R}" y2="${Hh - B}" stroke="#333"/><line x1="${L}" y1="${T}" x2="${L}" y2="${Hh - B}" stroke="#333"/>`);
  out.push(`<text x="${(L + W - R) / 2}" y="${Hh - 18}" font-size="12" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text x="${L}" y="46" font-size="12"><tspan fill="#1f4e9c">— ${esc(seriesLabel)}</tspan>   <tspan fill="#999">- - tile ideal</tspan>${measured.length ? '   <tspan fill="#f28e2b">● measured</tspan>' : ''}</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
