/** `attnc playground`'s server: files of its folder only, GET and HEAD only, and the right types. */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servePlayground, type PlaygroundServer } from '../../compiler/cli/playground.ts';

let dir = '';
let server: PlaygroundServer;

/** A raw request (the path sent as written, not normalised by a URL parser). */
function get(rawPath: string, method = 'GET'): Promise<{ status: number; type?: string; body: string }> {
  const u = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: rawPath, method }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-serve-'));
  fs.mkdirSync(path.join(dir, 'site/chunks'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'site/index.html'), '<!doctype html>page');
  fs.writeFileSync(path.join(dir, 'site/chunks/a.js'), 'export {}');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'secret');
  server = await servePlayground(path.join(dir, 'site'));
});

afterAll(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('attnc playground server', () => {
  it('serves the page and its scripts with their types', async () => {
    expect(await get('/')).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', body: '<!doctype html>page' });
    expect(await get('/chunks/a.js?v=1')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' });
    expect(await get('/', 'HEAD')).toMatchObject({ status: 200, body: '' });
  });

  it('refuses what lies outside its folder, folders, and other methods', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/chunks/../../secret.txt', '/..%2fsecret.txt', '/chunks', '/missing.js', '/%zz']) {
      expect((await get(p)).status, p).toBe(404);
    }
    expect((await get('/', 'POST')).status).toBe(405);
  });
});
