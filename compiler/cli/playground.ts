/**
 * `attnc playground`: serves the playground (docs/playground.md), the static page built into
 * dist/playground/ by scripts/build-playground.ts, with Node's http module. Only GET and HEAD
 * of files inside that folder are answered; the server listens on 127.0.0.1 unless told
 * otherwise. The page compiles in the browser: the server sees no pattern.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { Command } from 'commander';
import { Diagnostics, UserError } from '../diagnostics/diagnostic.ts';
import { packagePath } from '../../runtime/io/package-root.ts';
import { EXIT, guard } from './report.ts';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

/** A running playground server. */
export interface PlaygroundServer {
  readonly url: string;
  close(): Promise<void>;
}

/** The file a request path names inside `dir`, or undefined (outside it, or not a regular file). */
function fileFor(dir: string, urlPath: string): string | undefined {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath.split('?')[0].split('#')[0]);
  } catch {
    return undefined;
  }
  if (rel.includes('\0')) return undefined;
  const file = path.resolve(dir, `.${path.posix.normalize(`/${rel}`)}${rel.endsWith('/') ? 'index.html' : ''}`);
  if (file !== dir && !file.startsWith(`${dir}${path.sep}`)) return undefined;
  try {
    return fs.statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

/** Starts serving the built playground in `dir` (port 0: any free port). */
export function servePlayground(dir: string, opts: { host?: string; port?: number } = {}): Promise<PlaygroundServer> {
  const root = path.resolve(dir);
  const server = http.createServer((req, res) => {
    const headers = { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const file = fileFor(root, req.url ?? '/');
    if (!file) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    const body = fs.readFileSync(file);
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'Content-Length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      const a = server.address() as { address: string; port: number };
      const host = a.address.includes(':') ? `[${a.address}]` : a.address;
      resolve({ url: `http://${host}:${a.port}/`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) });
    });
  });
}

/** Registers the command. */
export function registerPlayground(program: Command, setStatus: (n: number) => void): void {
  program
    .command('playground')
    .description('Serve the playground: edit a pattern in the browser with live diagnostics, the tile map, the simulator, the bundled patterns, WebGPU runs and every target\'s output (docs/playground.md).')
    .option('--port <n>', 'port to listen on (0: any free port)', '8340')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--dir <folder>', 'serve a playground built elsewhere (npx tsx scripts/build-playground.ts FOLDER)')
    .action(async (o: { port: string; host: string; dir?: string }) => {
      const diags = new Diagnostics();
      const status = await guard(diags, async () => {
        const dir = o.dir ?? packagePath('dist/playground');
        const port = /^\d+$/.test(o.port) ? Number(o.port) : NaN;
        if (!(port >= 0 && port < 65536)) diags.report('bad_param_value', `--port must be a port number (0 to 65535), got \`${o.port}\``);
        else if (!fs.existsSync(path.join(dir, 'index.html'))) diags.report('file_not_found', `the playground is not built: no ${path.join(dir, 'index.html')} (run \`npm run build\`)`);
        if (diags.hasErrors) throw new UserError(diags);
        let s: PlaygroundServer;
        try {
          s = await servePlayground(dir, { host: o.host, port });
        } catch (e) {
          diags.report('bad_param_value', `cannot listen on ${o.host}:${port}: ${(e as Error).message}`);
          throw new UserError(diags);
        }
        process.stdout.write(`attnc playground: ${s.url} (Ctrl-C to stop)\n`);
        await new Promise<void>((resolve) => {
          const stop = () => { void s.close().then(resolve); };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        return EXIT.ok;
      });
      setStatus(status);
    });
}
