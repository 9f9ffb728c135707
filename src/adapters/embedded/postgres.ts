import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../../app/ports.ts';
import { createPool } from '../postgres/db.ts';
import { migrate } from '../postgres/migrate.ts';
import { seedProducts } from '../postgres/products.ts';
import { EmbeddedPostgresError } from './errors.ts';
import { loadEmbeddedPostgres, stopServerOnExit, type EmbeddedPostgresServer } from './server.ts';

export const EMBEDDED_DATABASE = 'flashsale';

export interface EmbeddedDatabaseOptions {
  dataDir: string;
  port: number;
  log: Logger;
  /** The currency of the demo products seeded on first start. */
  currency?: string;
}

/** A database on the embedded PostgreSQL, started by this process or found running on the same folder. */
export interface EmbeddedDatabase {
  url: string;
  /** This process started the server, and stops it on close. */
  owner: boolean;
  /** The database did not exist: this start created, migrated and seeded it. */
  created: boolean;
  close(): Promise<void>;
}

/**
 * Opens the embedded PostgreSQL whose data lives under `dataDir`: connects to the server already
 * running on that folder (another flashsale process started it), or starts it, initialising the
 * cluster on first use. A new database is migrated and seeded before anyone else uses it.
 */
export async function openEmbeddedDatabase(opts: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(opts.dataDir);
  const clusterDir = path.join(dataDir, 'postgres');
  // 0755: when running as root, the server runs as the `postgres` user and must reach its folder.
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  const password = await readOrCreatePassword(path.join(dataDir, 'postgres.password'));

  const ownerFile = path.join(dataDir, 'postgres.owner');
  let stopServer: (() => Promise<void>) | null = null;
  let port = await runningServerPort(clusterDir, password);
  if (port === null) {
    // Written before the server exists, so a process joining it never mistakes it for an orphan.
    await writeFile(ownerFile, `${process.pid}\n`);
    const server = await startServer(clusterDir, opts, password);
    if (server) {
      port = opts.port;
      stopServer = () => server.stop();
    } else {
      port = await runningServerPort(clusterDir, password);
      if (port === null)
        throw new EmbeddedPostgresError(`the embedded PostgreSQL in ${clusterDir} neither started nor is running`);
    }
  } else if (!isAlive(Number(await readFile(ownerFile, 'utf8').catch(() => '')))) {
    // Its owner was killed without stopping it: adopt it, so that someone stops it.
    opts.log.warn({ port, dataDir }, 'adopting the embedded PostgreSQL left running by a process that was killed');
    await writeFile(ownerFile, `${process.pid}\n`);
    const forgetOnExit = stopServerOnExit(path.join(clusterDir, 'postmaster.pid'));
    stopServer = async () => {
      forgetOnExit();
      await stopOrphan(clusterDir);
    };
  } else {
    opts.log.info({ port, dataDir }, 'using the embedded PostgreSQL another flashsale process started on this data folder');
  }

  const serverUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  try {
    const created = await ensureDatabase(serverUrl, opts.log, opts.currency);
    return {
      url: `${serverUrl}/${EMBEDDED_DATABASE}`,
      owner: stopServer !== null,
      created,
      close: async () => {
        await stopServer?.();
      },
    };
  } catch (err) {
    await stopServer?.();
    throw err;
  }
}

/** Stops a server this process did not spawn: a fast shutdown signal, then wait for it to go. */
async function stopOrphan(clusterDir: string): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 20_000;
  while (existsSync(pidFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

/** Starts the server; null when another process won the race to start it on this folder. */
async function startServer(
  clusterDir: string,
  opts: EmbeddedDatabaseOptions,
  password: string,
): Promise<EmbeddedPostgresServer | null> {
  const server = await loadEmbeddedPostgres({
    clusterDir,
    port: opts.port,
    password,
    runAsPostgresUser: userInfo().uid === 0,
    log: opts.log,
  });
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    opts.log.info({ clusterDir }, 'first start: initialising the embedded PostgreSQL cluster');
    await server.initialise();
  }
  try {
    await server.start();
    opts.log.info({ port: opts.port, clusterDir }, 'embedded PostgreSQL started');
    return server;
  } catch (err) {
    if ((await runningServerPort(clusterDir, password)) !== null) return null;
    throw err;
  }
}

/**
 * The port of a server running on this cluster folder, read from its postmaster.pid, or null.
 * A server still starting up is waited for; a stale pid file (after a crash) counts as none.
 */
async function runningServerPort(clusterDir: string, password: string): Promise<number | null> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  const deadline = Date.now() + 15_000;
  for (;;) {
    const lines = await readFile(pidFile, 'utf8').then(
      (t) => t.split('\n'),
      () => null,
    );
    if (!lines) return null;
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    if (!isAlive(pid) || !Number.isInteger(port) || port <= 0) return null;
    if (await accepts(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`)) return port;
    if (Date.now() > deadline) {
      throw new EmbeddedPostgresError(
        `an embedded PostgreSQL (pid ${pid}) holds ${clusterDir} but does not accept connections on port ${port}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, owned by another user (the `postgres` user when started by root).
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function accepts(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  // A probe: a failure to connect is its answer (false), not something to report.
  client.on('error', () => {});
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Creates, migrates and seeds the service's database unless it exists. True when it created it. */
async function ensureDatabase(serverUrl: string, log: Logger, currency?: string): Promise<boolean> {
  const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [EMBEDDED_DATABASE]);
    if (rowCount) return false;
    try {
      await admin.query(`create database ${EMBEDDED_DATABASE}`);
    } catch (err) {
      // 42P04: another process created it at the same moment, and seeds it.
      if ((err as { code?: string }).code === '42P04') return false;
      throw err;
    }
  } finally {
    await admin.end();
  }
  const pool = createPool({ connectionString: `${serverUrl}/${EMBEDDED_DATABASE}`, max: 1, applicationName: 'flashsale-setup' });
  try {
    await migrate(pool, { currency });
    const seeded = await seedProducts(pool, currency);
    log.info({ products: seeded.length }, 'created, migrated and seeded the embedded database');
  } finally {
    await pool.end();
  }
  return true;
}

/** A random password made on first start and kept beside the data, readable by its owner only. */
async function readOrCreatePassword(file: string): Promise<string> {
  const fresh = randomBytes(18).toString('base64url');
  try {
    await writeFile(file, `${fresh}\n`, { flag: 'wx', mode: 0o600 });
    return fresh;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return (await readFile(file, 'utf8')).trim();
  }
}
