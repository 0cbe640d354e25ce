import type { Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';

/** Every emulator binds to loopback only. */
export const LOOPBACK = '127.0.0.1';

/** `http://127.0.0.1:PORT`. */
export function loopbackUrl(port: number): string {
  return `http://${LOOPBACK}:${port}`;
}

/**
 * Binds `server` to a port the OS picks on 127.0.0.1 and returns it. Prefer this to
 * {@link freePort}: the port is never released between choosing and binding.
 */
export function listenOnFreePort(server: Server | HttpServer, host: string = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(0, host, () => {
      server.off('error', onError);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error(`unexpected address ${address}`));
      else resolve(address.port);
    });
  });
}

/**
 * `count` distinct ports that were free a moment ago, for a child process that must be told
 * its ports up front. Another process could take one before the child binds it; callers
 * retry on failure.
 */
export async function freePorts(count: number, host: string = LOOPBACK): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    // All held open together, so the OS cannot hand out the same port twice.
    return await Promise.all(servers.map((server) => listenOnFreePort(server, host)));
  } finally {
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
      ),
    );
  }
}

/** Whether `port` can be bound on `host` right now. */
export function isPortFree(port: number, host: string = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** Closes an HTTP server, dropping its open (keep-alive or in-flight) connections first. */
export function closeHttpServer(server: HttpServer): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
