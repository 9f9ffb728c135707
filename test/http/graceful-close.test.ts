import net from 'node:net';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import gracefulClose from '../../src/http/plugins/graceful-close.ts';

/** Blocks this process's event loop, as a busy or starved server process is blocked. */
const blockFor = (ms: number) => {
  for (const until = Date.now() + ms; Date.now() < until;);
};

const REQUEST = 'GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n';

describe('graceful close', () => {
  let app: FastifyInstance | null = null;
  afterEach(async () => {
    await app?.close();
    app = null;
  });

  it('answers a request that reached an idle keep-alive connection while the process was blocked, instead of resetting it', async () => {
    app = Fastify();
    await app.register(gracefulClose);
    app.get('/ping', async () => ({ ok: true }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;

    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let error: string | null = null;
    socket.on('data', (d: Buffer) => (received += d.toString()));
    socket.on('error', (err) => (error = (err as NodeJS.ErrnoException).code ?? err.message));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));

    // One request and its answer: the connection is now idle, kept alive.
    socket.write(REQUEST);
    await new Promise<void>((resolve) => {
      const check = () => (received.includes('{"ok":true}') ? resolve() : setTimeout(check, 5));
      check();
    });
    received = '';

    // Shutdown begins; the client sends its next request on the idle connection just then, and the
    // server's event loop is blocked past the idle linger, so the request is still unread in the
    // socket's buffer when the linger ends. All of it in a check-phase callback, as a server busy
    // with its own work would be: the loop's next phase with something due is then the timers',
    // before the poll that would read the request.
    const server = app;
    const closing = await new Promise<{ done: Promise<void> }>((resolve) =>
      setImmediate(() => {
        const done = server.closeGracefully();
        socket.write(REQUEST);
        blockFor(1_300);
        resolve({ done });
      }),
    );
    await closing.done;
    await closed;
    app = null;
    expect(error).toBeNull();
    expect(received).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(received.toLowerCase()).toContain('connection: close');
  });
});
