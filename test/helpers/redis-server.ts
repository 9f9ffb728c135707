import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './free-port.ts';

/**
 * A private, throw-away Redis on its own port, for tests that stop or restart Redis. The shared
 * Redis is never touched by them.
 */
export class RedisServer {
  private process: ChildProcess | null = null;
  private chosenPort: number | undefined;

  /** Without a port, a free one is picked at the first start and kept across restarts. */
  constructor(port?: number) {
    this.chosenPort = port;
  }

  get port(): number {
    if (this.chosenPort === undefined) throw new Error('RedisServer: the port is picked at the first start()');
    return this.chosenPort;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get env(): Record<string, string> {
    return { REDIS_URL: this.url };
  }

  async start(): Promise<void> {
    this.chosenPort ??= await freePort();
    this.process = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.ping();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not start`, { cause: err });
        await new Promise((r) => setTimeout(r, 50));
      } finally {
        probe.disconnect();
      }
    }
  }

  /** A client for the test itself that fails fast instead of queueing while the server is down. */
  async client(): Promise<Redis> {
    const client = new Redis(this.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 500 });
    client.on('error', () => {});
    return client;
  }

  /** Freezes the server (SIGSTOP): connections stay open and commands go unanswered until `resume`. */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  resume(): void {
    this.process?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}
