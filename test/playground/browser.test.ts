/**
 * The playground in a real browser: Debian's headless Chromium (driven by playwright-core,
 * never a downloaded browser), WebGPU through its built-in SwiftShader. Starts `attnc
 * playground` (the page built into dist/playground/ by the test setup), types a pattern with
 * an error and finds the diagnostic at its line, fixes it and finds the tile counts attnc's
 * planner gives, runs it on WebGPU and finds it matches the reference; also the gallery,
 * downloads (the same files as the library emits), and that text from the source reaches the page as text, not markup.
 * Skipped, saying so, when Chromium is not installed (README: apt-get install chromium).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { bind, check, emit, plan, summarize } from '../../compiler/index.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** Chromium: ATTNC_CHROMIUM when set, else Debian's (or Ubuntu's) package. */
const CHROMIUM = (process.env.ATTNC_CHROMIUM ? [process.env.ATTNC_CHROMIUM] : ['/usr/bin/chromium', '/usr/bin/chromium-browser']).find((p) => fs.existsSync(p));
const SKIP = CHROMIUM ? '' : process.env.ATTNC_CHROMIUM ? ` (skipped: ATTNC_CHROMIUM names ${process.env.ATTNC_CHROMIUM}, which does not exist)` : ' (skipped: Chromium is not installed; on Debian/Ubuntu `apt-get install chromium`, or set ATTNC_CHROMIUM to its path)';
if (!CHROMIUM) console.warn(`test/playground/browser.test.ts${SKIP}`);

/** The flags of ../shared/gpu/README.md: headless, WebGPU on SwiftShader, nothing fetched. */
const FLAGS = ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan,WebGPUSwiftShader', '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const BROKEN = 'pattern mine(window: int = 256) {\n  causal\n  allow q - k < windw\n}\n';
const FIXED = BROKEN.replace('windw', 'window');

describe.skipIf(!CHROMIUM)(`playground in headless Chromium${SKIP}`, () => {
  let server: ChildProcess;
  let context: BrowserContext;
  let page: Page;
  let userData: string;
  const errors: string[] = [];

  beforeAll(async () => {
    server = spawn(process.execPath, [path.join(ROOT, 'bin/attnc.mjs'), 'playground', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout!.on('data', (d) => { out += d; const m = /http:\/\/\S+/.exec(out); if (m) resolve(m[0]); });
      server.once('exit', (code) => reject(new Error(`attnc playground exited (${code}): ${out}`)));
    });
    userData = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-chromium-'));
    context = await chromium.launchPersistentContext(userData, { executablePath: CHROMIUM, headless: true, args: FLAGS, acceptDownloads: true });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}#sliding-window.attn`);
    await page.waitForSelector('body[data-ready]');
    await page.waitForSelector('#tile-counts[data-full]');
  }, 30_000);

  afterAll(async () => {
    await context?.close();
    server?.kill();
    if (userData) fs.rmSync(userData, { recursive: true, force: true });
  });

  /** Replaces the editor's text by typing it, as a user would (the editor may indent new lines its own way). */
  async function typeSource(text: string): Promise<void> {
    await page.click('.cm-content');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Backspace');
    // One input event for the whole text (as a paste): typed key by key, a loaded machine's
    // Chromium could interleave the editor's auto-indent with the keys and garble it.
    await page.keyboard.insertText(text);
  }

  const editorText = () => page.evaluate(() => (globalThis as unknown as { attncPlayground: { view: { state: { doc: { toString(): string } } } } }).attncPlayground.view.state.doc.toString());
  const unindented = (text: string) => text.split('\n').map((l) => l.trim()).join('\n');

  it('shows a diagnostic at its line, then the right tile counts once fixed', async () => {
    await page.fill('input[name=q_len]', '2048');
    await page.fill('input[name=heads]', '2');
    await page.fill('input[name=block_q]', '64');
    await page.fill('input[name=block_kv]', '64');
    await typeSource(BROKEN);
    expect(unindented(await editorText())).toBe(unindented(BROKEN));
    const diag = page.locator('#diagnostics li.diag.error');
    // The diagnostics of the text as typed (a check still running may show those of the empty editor).
    await page.locator('#diagnostics li.diag.error[data-code=unknown_name]').waitFor({ timeout: 30_000 });
    expect(await diag.count()).toBe(1);
    expect(await diag.getAttribute('data-code')).toBe('unknown_name');
    expect(await diag.getAttribute('data-line')).toBe('3');
    expect(await diag.textContent()).toContain('unknown name `windw`');
    expect(await diag.textContent()).toContain('did you mean `window`?');
    // The editor marks the misspelt name on line 3.
    await page.locator('.cm-line').nth(2).locator('.cm-lintRange-error').waitFor();
    expect(await page.locator('.cm-line').nth(2).locator('.cm-lintRange-error').textContent()).toBe('windw');
    expect(await page.getAttribute('#tile-counts', 'data-full')).toBeNull();

    await typeSource(FIXED);
    await page.waitForSelector('#tile-counts[data-full]');
    expect(await page.locator('#diagnostics li.diag').count()).toBe(0);
    const want = summarize(plan(bind(check(FIXED).patterns[0]), { qLen: 2048, kvLen: 2048, heads: 2, blockQ: 64, blockKv: 64 }));
    const counts = page.locator('#tile-counts');
    expect({ full: Number(await counts.getAttribute('data-full')), partial: Number(await counts.getAttribute('data-partial')) }).toEqual({ full: want.full, partial: want.partial });
    expect(await counts.textContent()).toContain(`${want.full} full + ${want.partial} partial of ${want.total} tiles`);
    // Changing a parameter redraws the map: window = 64 is one block diagonal (plus its partial neighbour).
    await page.fill('input[data-param=window]', '64');
    const narrow = summarize(plan(bind(check(FIXED).patterns[0], { window: 64 }), { qLen: 2048, kvLen: 2048, heads: 2, blockQ: 64, blockKv: 64 }));
    await page.waitForSelector(`#tile-counts[data-partial="${narrow.partial}"]`);
    expect(Number(await counts.getAttribute('data-full'))).toBe(narrow.full);
  });

  it('runs the pattern on WebGPU and matches the reference', async () => {
    await page.fill('input[name=run-q-len]', '128');
    await page.click('#run-webgpu');
    await page.waitForSelector('#webgpu-result[data-ok]', { timeout: 150_000 });  // SwiftShader on a loaded 2-core CI machine
    const text = await page.textContent('#webgpu-result');
    expect(text).toContain('matches the float64 reference');
    expect(await page.getAttribute('#webgpu-result', 'data-ok')).toBe('true');
    expect(text).toMatch(/[\d.]+ ms per run/);
  }, 160_000);

  it('downloads each target\'s output, the same as the library emits', async () => {
    // The page still holds the fixed pattern with window = 64, under the name it was opened as.
    const p = bind(check(FIXED, { name: 'sliding-window.attn' }).patterns[0], { window: '64' });
    for (const target of ['flex', 'ts']) {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`button[data-target=${target}]`)]);
      const [want] = await emit(p, target, { sourceName: 'sliding-window.attn' });
      expect(dl.suggestedFilename()).toBe(want.name);
      expect(fs.readFileSync(await dl.path(), 'utf8'), target).toBe(want.contents);
    }
  });

  it('loads a pattern from the gallery', async () => {
    await page.click('#gallery-list li[data-file="document.attn"] button');
    await expect.poll(() => page.textContent('#tile-counts'), { timeout: 10_000 }).toMatch(/^document:/);
    expect(await page.textContent('.cm-content')).toContain('pattern document(');
    expect(await page.locator('#diagnostics li.diag').count()).toBe(0);
  });

  it('runs a pattern with a select clause on WebGPU: the selection on the GPU, the reference selection\'s mask', async () => {
    await page.click('#gallery-list li[data-file="moba.attn"] button');
    await expect.poll(() => page.textContent('#tile-counts'), { timeout: 10_000 }).toMatch(/^moba:/);
    await page.fill('input[data-param=block]', '64');
    await page.fill('input[data-param=topk]', '1');
    await page.fill('input[name=run-q-len]', '320');
    await page.click('#run-webgpu');
    await page.waitForSelector('#webgpu-result[data-ok]', { timeout: 150_000 });  // SwiftShader on a loaded 2-core CI machine
    const text = await page.textContent('#webgpu-result');
    expect(text).toContain('matches the float64 reference');
    expect(text).toContain('key blocks selected on the GPU at every run');
    expect(await page.getAttribute('#webgpu-result', 'data-ok')).toBe('true');
  }, 160_000);

  it('puts source text in the page as text, never as markup', async () => {
    await typeSource('import "<img src=x onerror=alert(1)>.attn"\npattern p() {\n  causal\n}');
    const diag = page.locator('#diagnostics li.diag.error');
    await diag.first().waitFor();
    expect(await diag.first().textContent()).toContain('<img src=x onerror=alert(1)>.attn');
    expect(await page.locator('#diagnostics img').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
