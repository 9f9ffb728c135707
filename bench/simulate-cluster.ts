/**
 * `npm run bench:simulate-cluster`: the deployment of docs/scaling.md on one machine, then a
 * simulated sale against it. A Redis Cluster of 3 masters and 3 replicas (this machine's
 * redis-server, free ports, a temporary directory), `flashsale serve --processes 2`, one
 * `flashsale worker`, and `flashsale simulate --create 50` with its report printed as it is.
 * Everything it starts is stopped, and its database dropped, at the end.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { RedisCluster } from '../test/helpers/redis-cluster.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { startProcess, startServer, type Process, type Server } from './lib/processes.ts';

const server = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const name = `${process.env.BENCH_DATABASE_NAME ?? 'flashsale_bench'}_cluster`;
const say = (msg: string) => process.stderr.write(`bench:simulate-cluster: ${msg}\n`);
const args = process.argv.slice(2);
const simulateArgs = args.length
  ? args
  : ['--create', '50', '--stock', '100', '--buyers', '6000', '--concurrency', '64', '--settle', '30'];

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${server}/postgres` });
  await client.connect();
  await client.query(sql).finally(() => client.end());
}

async function main(): Promise<number> {
  const redis = new RedisCluster();
  const started: (Server | Process)[] = [];
  await admin(`drop database if exists "${name}" with (force)`);
  await admin(`create database "${name}"`);
  try {
    say('starting a Redis Cluster: 3 masters, 3 replicas');
    await redis.start();
    const env = {
      DATABASE_URL: `${server}/${name}`,
      REDIS_CLUSTER_NODES: redis.seeds,
      ADMIN_TOKEN: randomBytes(16).toString('hex'),
      HOLD_TTL_SECONDS: '10',
      DATABASE_POOL_SIZE: '10',
      LOG_LEVEL: 'warn',
    };
    const port = await freePort();
    say(`starting flashsale serve --processes 2 on port ${port} and one flashsale worker`);
    const api = await startServer(
      ['bin/flashsale.js', 'serve', '--processes', '2'],
      { ...env, RUN_WORKER: 'false' },
      port,
      '/health/ready',
    );
    started.push(api);
    started.push(startProcess(['bin/flashsale.js', 'worker'], env));
    say(`flashsale simulate ${simulateArgs.join(' ')}`);
    const child = spawn(process.execPath, ['bin/flashsale.js', 'simulate', '--url', api.url, ...simulateArgs], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    return await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  } finally {
    for (const p of started.reverse()) await p.stop();
    await redis.stop();
    await admin(`drop database if exists "${name}" with (force)`);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench:simulate-cluster: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
