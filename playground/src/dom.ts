/**
 * Building the page's elements. Text always goes in as text (`textContent`), never as HTML,
 * so nothing a user types (pattern names, doc comments, diagnostics quoting the source)
 * can become markup; `escapeHtml` is for the one place text is put inside markup by hand.
 */
type Child = Node | string | number | false | null | undefined;

/** An element with attributes (`on*` functions become listeners) and children (strings become text). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, unknown> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (k in el && typeof v !== 'string') (el as unknown as Record<string, unknown>)[k] = v;
    else el.setAttribute(k, String(v));
  }
  append(el, ...children);
  return el;
}

/** Appends children; strings become text nodes. */
export function append(el: Element, ...children: Child[]): void {
  for (const c of children) if (c !== undefined && c !== null && c !== false) el.append(typeof c === 'number' ? String(c) : c);
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

/** `&`, `<`, `>`, `"` and `'` as entities. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** An `<img>` showing SVG text (an image: scripts or links in it cannot run). */
export function svgImage(svg: string, alt: string, cls?: string): HTMLImageElement {
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  const img = h('img', { src: url, alt, class: cls });
  img.addEventListener('load', () => URL.revokeObjectURL(url), { once: true });
  return img;
}

/** Offers `data` as a download named `name`. */
export function download(name: string, data: string | Uint8Array, type = 'text/plain'): void {
  const url = URL.createObjectURL(new Blob([data as BlobPart], { type }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
