import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { request } from 'undici';
import { freePorts } from '../helpers/free-port.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { migrate } from '../../src/adapters/postgres/migrate.ts';
import { TEST_PG_SERVER } from '../helpers/env.ts';
import { RedisServer } from '../helpers/redis-server.ts';

/**
 * The multi-process fault harness: its own PostgreSQL database on the test server, its own
 * redis-server (so it can be flushed, killed and restarted freely), two API processes and one
 * worker, each a real `flashsale` child process.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../bin/flashsale.js', import.meta.url));

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A database of its own on the shared PostgreSQL server, migrated, dropped at the end. */
export class OwnDatabase {
  readonly name = `flashsale_faults_${randomBytes(4).toString('hex')}`;
  readonly url = `${TEST_PG_SERVER}/${this.name}`;
  pool!: pg.Pool;

  async create(): Promise<void> {
    await adminQuery(`create database "${this.name}"`);
    this.pool = new pg.Pool({ connectionString: this.url, max: 4, application_name: 'fault-harness' });
    this.pool.on('error', () => {});
    await migrate(this.pool);
  }

  /** Terminates the service's backends (never the harness's own), rolling back their transactions. */
  async terminateServiceBackends(): Promise<number> {
    const { rows } = await adminQuery<{ n: number }>(
      `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
        where datname = $1 and application_name like 'flashsale-%'`,
      [this.name],
    );
    return rows[0]!.n;
  }

  async drop(): Promise<void> {
    await this.pool?.end().catch(() => {});
    await adminQuery(`drop database if exists "${this.name}" with (force)`);
  }
}

async function adminQuery<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<T>> {
  const admin = new pg.Client({ connectionString: `${TEST_PG_SERVER}/postgres`, application_name: 'fault-harness' });
  await admin.connect();
  try {
    return await admin.query<T>(text, values);
  } finally {
    await admin.end();
  }
}

export interface ServiceEnv {
  databaseUrl: string;
  /** REDIS_URL of one server, or REDIS_CLUSTER_NODES of a Redis Cluster. */
  redisEnv: Record<string, string>;
  holdTtlSeconds: number;
}

/** The Redis a fault test runs on: one private redis-server, or a whole Redis Cluster. */
export interface RedisBackend {
  readonly env: Record<string, string>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** One `flashsale serve` or `flashsale worker` child process. */
export class ServiceProcess {
  private child: ChildProcess | null = null;
  readonly log: string[] = [];

  constructor(
    readonly role: 'serve' | 'worker',
    readonly env: ServiceEnv,
    readonly port = 0,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [CLI, this.role], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: this.env.databaseUrl,
        ...this.env.redisEnv,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        RUN_WORKER: this.role === 'worker' ? 'true' : 'false',
        HOLD_TTL_SECONDS: String(this.env.holdTtlSeconds),
        SWEEP_INTERVAL_MS: '500',
        RECONCILE_INTERVAL_MS: '1000',
        DATABASE_POOL_SIZE: '10',
        // The worker announces itself at info level; the APIs would log every request there.
        LOG_LEVEL: this.role === 'worker' ? 'info' : 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      this.log.push(chunk.toString());
      if (this.log.length > 200) this.log.shift();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    this.child = child;
    try {
      if (this.role === 'serve') {
        await waitFor(async () => (await httpStatus(`${this.url}/health/ready`)) === 200, 90_000, `API on ${this.port}`);
      } else {
        await waitFor(async () => this.log.join('').includes('worker started'), 90_000, 'worker start');
      }
    } catch (err) {
      // What the process said, and what its readiness answered last, say why it never got ready.
      const ready = this.role === 'serve' ? await httpBody(`${this.url}/health/ready`) : '';
      throw new Error(`${(err as Error).message}\nreadiness: ${ready}\nlog: ${this.log.join('').slice(-3_000)}`, { cause: err });
    }
  }

  /** `kill -9`: no graceful close, connections and in-flight work cut off where they are. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill9();
  }
}

async function httpStatus(url: string): Promise<number> {
  try {
    const res = await request(url, { headersTimeout: 2_000, bodyTimeout: 2_000 });
    await res.body.dump();
    return res.statusCode;
  } catch {
    return 0;
  }
}

async function httpBody(url: string): Promise<string> {
  try {
    const res = await request(url, { headersTimeout: 2_000, bodyTimeout: 2_000 });
    return `${res.statusCode} ${await res.body.text()}`;
  } catch (err) {
    return String(err);
  }
}

/** Runs `flashsale check` against the cluster; returns its exit code and output. */
export function runCheckCli(env: ServiceEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'check'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, DATABASE_URL: env.databaseUrl, ...env.redisEnv, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => resolve({ code: code ?? -1, output }));
  });
}

/**
 * The whole cluster of service processes of one fault test, on one private redis-server or on a
 * Redis Cluster. Ports come from the caller so tests never collide.
 */
export class Cluster<R extends RedisBackend = RedisServer> {
  readonly db = new OwnDatabase();
  apis: ServiceProcess[] = [];
  worker!: ServiceProcess;

  /** The API processes' ports; without them, free ones are picked when the cluster starts. */
  ports: { apis: [number, number] } | undefined;

  constructor(
    ports: { apis: [number, number] } | undefined,
    readonly holdTtlSeconds: number,
    readonly redis: R,
  ) {
    this.ports = ports;
  }

  get env(): ServiceEnv {
    return { databaseUrl: this.db.url, redisEnv: this.redis.env, holdTtlSeconds: this.holdTtlSeconds };
  }

  async start(): Promise<void> {
    await Promise.all([this.db.create(), this.redis.start()]);
    this.ports ??= { apis: (await freePorts(2)) as [number, number] };
    this.apis = this.ports.apis.map((p) => new ServiceProcess('serve', this.env, p));
    this.worker = new ServiceProcess('worker', this.env);
    await Promise.all([...this.apis.map((a) => a.start()), this.worker.start()]);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.apis.map((a) => a.stop()), this.worker?.stop()]);
    await this.redis.stop();
    await this.db.drop();
  }
}
