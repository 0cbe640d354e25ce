import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PAGE_HTML, PAGE_SCRIPT } from './page.js';
import type { UiSnapshot } from './progress-feed.js';

/** uPlot's browser build and stylesheet, from the installed package (no CDN: works offline). */
const UPLOT_DIST = dirname(createRequire(import.meta.url).resolve('uplot'));
const VENDOR: Readonly<Record<string, { file: string; type: string }>> = {
  '/vendor/uPlot.iife.min.js': { file: 'uPlot.iife.min.js', type: 'text/javascript; charset=utf-8' },
  '/vendor/uPlot.min.css': { file: 'uPlot.min.css', type: 'text/css; charset=utf-8' },
};

/** A running `sluice ui` server. */
export interface UiServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the page, its script, uPlot and `/api/progress` (the snapshot `read` returns; reads are
 * shared while one is in flight, so many open tabs cost one S3 listing per second) on a loopback
 * port (`port` 0 picks a free one).
 */
export async function startUiServer(options: {
  readonly read: () => Promise<UiSnapshot>;
  readonly port?: number;
  readonly host?: string;
}): Promise<UiServer> {
  let inFlight: Promise<UiSnapshot> | undefined;
  const snapshot = () => {
    inFlight ??= options.read().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const send = (status: number, type: string, body: string | Buffer) => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(body);
    };
    void (async () => {
      try {
        if (path === '/') return send(200, 'text/html; charset=utf-8', PAGE_HTML);
        if (path === '/app.js') return send(200, 'text/javascript; charset=utf-8', PAGE_SCRIPT);
        const vendor = VENDOR[path];
        if (vendor !== undefined)
          return send(200, vendor.type, await readFile(join(UPLOT_DIST, vendor.file)));
        if (path === '/api/progress') return send(200, 'application/json', JSON.stringify(await snapshot()));
        return send(404, 'text/plain', 'not found');
      } catch (error) {
        return send(500, 'application/json', JSON.stringify({ error: (error as Error).message }));
      }
    })();
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
