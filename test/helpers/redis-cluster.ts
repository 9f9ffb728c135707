import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './wait-for.ts';
import { Cluster, Redis } from 'ioredis';
import { freePorts } from './free-port.ts';

const run = promisify(execFile);

// Should the test process end before its clean-up, the nodes it started die with it.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

interface ClusterNode {
  port: number;
  /** The cluster bus port, set explicitly so it is free too (not port + 10000). */
  busPort: number;
  process: ChildProcess | null;
}

export interface RedisClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  /** How long a master may be unreachable before its replica is promoted. */
  nodeTimeoutMs?: number;
}

/**
 * A real Redis Cluster of this machine's `redis-server` processes on free loopback ports, built
 * with `redis-cli --cluster create`, each node in its own temporary directory. Stopping it kills
 * every node and removes the directory: nothing is left behind.
 */
export class RedisCluster {
  private nodes: ClusterNode[] = [];
  private dir = '';
  readonly masters: number;
  readonly replicasPerMaster: number;
  readonly nodeTimeoutMs: number;

  constructor(opts: RedisClusterOptions = {}) {
    this.masters = opts.masters ?? 3;
    this.replicasPerMaster = opts.replicasPerMaster ?? 1;
    this.nodeTimeoutMs = opts.nodeTimeoutMs ?? 1_000;
  }

  /** `REDIS_CLUSTER_NODES` for the service: every node as a seed. */
  get seeds(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  get env(): Record<string, string> {
    return { REDIS_CLUSTER_NODES: this.seeds };
  }

  get ports(): number[] {
    return this.nodes.map((n) => n.port);
  }

  /** Starts the nodes (on new free ports the first time, the same ones after a stop) and forms the cluster. */
  async start(): Promise<void> {
    if (this.nodes.length === 0) {
      const count = this.masters * (1 + this.replicasPerMaster);
      const ports = await freePorts(count * 2);
      this.nodes = Array.from({ length: count }, (_, i) => ({ port: ports[i]!, busPort: ports[count + i]!, process: null }));
    }
    this.dir = mkdtempSync(join(tmpdir(), 'flashsale-redis-cluster-'));
    await Promise.all(this.nodes.map((n) => this.startNode(n)));
    await run(
      'redis-cli',
      ['--cluster', 'create', ...this.nodes.map((n) => `127.0.0.1:${n.port}`)].concat([
        '--cluster-replicas',
        String(this.replicasPerMaster),
        '--cluster-yes',
      ]),
      { timeout: 30_000 },
    );
    await this.waitHealthy(30_000);
  }

  private async startNode(node: ClusterNode): Promise<void> {
    const dir = join(this.dir, String(node.port));
    // prettier-ignore
    const args = [
      '--port', String(node.port), '--bind', '127.0.0.1', '--dir', this.dir,
      '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${node.port}.conf`,
      '--cluster-port', String(node.busPort), '--cluster-node-timeout', String(this.nodeTimeoutMs),
      // A replica may always be promoted, however long ago it last heard from its master.
      '--cluster-replica-validity-factor', '0',
      '--save', '', '--appendonly', 'no', '--logfile', `${dir}.log`,
    ];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    node.process = child;
    running.add(child);
    child.once('exit', () => running.delete(child));
    await waitFor(() => ping(node.port), 10_000, `redis-server on port ${node.port}`);
  }

  /** Every slot served, every node agreeing the cluster is ok, every replica in sync with its master. */
  async waitHealthy(timeoutMs: number): Promise<void> {
    await waitFor(
      async () => {
        for (const node of this.nodes.filter((n) => n.process)) {
          const info = await command(node.port, 'cluster', 'info');
          if (!info.includes('cluster_state:ok') || !info.includes('cluster_slots_ok:16384')) return false;
          const replication = await command(node.port, 'info', 'replication');
          if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
        }
        return true;
      },
      timeoutMs,
      'a healthy Redis Cluster',
    );
  }

  /** The port of the master that serves `key`'s slot right now. */
  async masterOf(key: string): Promise<number> {
    const alive = this.nodes.find((n) => n.process)!;
    const slot = Number(await command(alive.port, 'cluster', 'keyslot', key));
    const shards = (await command(alive.port, 'cluster', 'nodes')).trim().split('\n');
    for (const line of shards) {
      const [, address, flags, , , , , state, ...ranges] = line.split(' ');
      if (!flags!.includes('master') || flags!.includes('fail') || state !== 'connected') continue;
      const owns = ranges.some((r) => {
        const [from, to] = r.split('-').map(Number);
        return slot >= from! && slot <= (to ?? from)!;
      });
      if (owns) return Number(address!.split('@')[0]!.split(':')[1]);
    }
    throw new Error(`no live master serves slot ${slot} of ${key}`);
  }

  /** `kill -9` of one node: no goodbye to its clients or to the other nodes. */
  async kill9(port: number): Promise<void> {
    const node = this.nodes.find((n) => n.port === port);
    if (!node?.process) throw new Error(`no running node on port ${port}`);
    const child = node.process;
    node.process = null;
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** Waits until another node serves `key`'s slot after its master died; returns how long that took. */
  async waitFailover(key: string, oldMaster: number, timeoutMs = 30_000): Promise<{ newMaster: number; tookMs: number }> {
    const start = Date.now();
    let newMaster = oldMaster;
    await waitFor(
      async () => {
        newMaster = await this.masterOf(key);
        return newMaster !== oldMaster;
      },
      timeoutMs,
      `failover of ${key}'s slot`,
    );
    return { newMaster, tookMs: Date.now() - start };
  }

  /** Kills every node and removes their data: the next start forms a new, empty cluster on the same ports. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.filter((n) => n.process).map((n) => this.kill9(n.port)));
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = '';
  }

  /** A client of the cluster for the test itself, connected: fails fast instead of queueing while a node is down. */
  async client(): Promise<Cluster> {
    const client = new Cluster(
      this.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
      { enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: 0, commandTimeout: 1_000 } },
    );
    client.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      client.once('ready', resolve);
      setTimeout(() => reject(new Error('the Redis Cluster client did not become ready')), 10_000).unref();
    });
    return client;
  }
}

async function command(port: number, ...args: string[]): Promise<string> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return String(await redis.call(args[0]!, ...args.slice(1)));
  } finally {
    redis.disconnect();
  }
}

const ping = async (port: number): Promise<boolean> => (await command(port, 'ping')) === 'PONG';
