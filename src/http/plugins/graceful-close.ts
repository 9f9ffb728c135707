import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** True from the shutdown signal on: /health/ready answers 503 so load balancers move away. */
    shuttingDown: boolean;
    /** Stops serving without resetting a connection a client may be using; see the plugin. */
    closeGracefully(opts?: { delayMs?: number }): Promise<void>;
  }
}

/** How long a keep-alive connection that carries no request is kept, once no new ones are accepted. */
const IDLE_LINGER_MS = 1_000;

/**
 * Shutdown in three steps:
 * 1. For `delayMs`, keep serving as usual but fail readiness, so that load balancers stop sending.
 * 2. Stop accepting connections, but do not drop the open ones: Node's `server.close()` would
 *    close idle keep-alive connections at once, resetting a request a client is just sending on
 *    one. Instead every response now says `Connection: close`, so each connection ends cleanly
 *    after its next response; those left idle are closed after a short linger, once any request
 *    already sitting in their buffers has been read.
 * 3. Close Fastify: requests in flight finish, then the onClose hooks run.
 */
async function gracefulClose(app: FastifyInstance): Promise<void> {
  let closingConnections = false;
  app.decorate('shuttingDown', false);
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closingConnections) reply.header('connection', 'close');
    done(null, payload);
  });

  app.decorate('closeGracefully', async function closeGracefully(this: FastifyInstance, opts: { delayMs?: number } = {}) {
    this.shuttingDown = true;
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    const server = this.server;
    if (server.listening) {
      closingConnections = true;
      const drained = new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([drained, new Promise((r) => (timer = setTimeout(r, IDLE_LINGER_MS)))]);
      clearTimeout(timer);
      // Only after the event loop's next poll for I/O: a request that reached an idle connection
      // while this process was busy is then read (and answered, with `Connection: close`) instead
      // of being reset with the connection. The linger's timer can fire before that poll.
      await new Promise((r) => setImmediate(r));
      server.closeIdleConnections();
    }
    await this.close();
  });
}

export default fp(gracefulClose, { name: 'graceful-close' });
