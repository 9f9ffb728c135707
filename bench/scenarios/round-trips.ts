import net from 'node:net';
import type pg from 'pg';
// @ts-expect-error autocannon ships no type declarations
import autocannon from 'autocannon';

/** What a fixed number of requests cost the backing services, per counted request. */
export interface RoundTrips {
  /** Requests that got the expected status. */
  counted: number;
  /** Commands sent to Redis by every client (the API, the worker), per counted request. */
  redisCommands: number;
  /** Commands run inside Lua scripts (BullMQ's, the mirror's), per counted request. */
  redisScriptCommands: number;
  /** The Redis commands by name, per counted request, largest first. */
  byCommand: [string, number][];
  /** PostgreSQL transactions committed or rolled back in the bench database, per counted request. */
  pgTransactions: number;
}

interface Env {
  redisUrl: string;
  databaseName: string;
  pool: pg.Pool;
}

/**
 * Sends `requests` requests at `connections` at a time and counts, from outside the service, what
 * they cost: Redis commands through MONITOR (only this run's Redis database, so other users of a
 * shared server are not counted) and PostgreSQL transactions through pg_stat_database. Background
 * work (sweeper, reconciler) in the same seconds is counted too: it is part of the cost.
 */
export async function countRoundTrips(
  env: Env,
  load: { url: string; method: 'GET' | 'POST'; body?: unknown; expectStatus: number },
  requests: number,
  connections: number,
): Promise<RoundTrips> {
  const db = Number(new URL(env.redisUrl).pathname.slice(1) || 0);
  const commands = new Map<string, number>();
  let sent = 0;
  let scripted = 0;
  const monitor = await monitorRedis(env.redisUrl, (database, source, name) => {
    if (database !== db) return;
    if (source === 'lua') scripted++;
    else {
      sent++;
      commands.set(name, (commands.get(name) ?? 0) + 1);
    }
  });
  try {
    const before = await transactions(env);
    const result = await autocannon({
      url: load.url,
      method: load.method,
      connections,
      amount: requests,
      headers: load.body === undefined ? {} : { 'content-type': 'application/json' },
      body: load.body === undefined ? undefined : JSON.stringify(load.body),
    });
    const after = await transactions(env);
    const counted =
      (result.statusCodeStats as Record<string, { count: number } | undefined>)[String(load.expectStatus)]?.count ?? 0;
    const per = (n: number) => (counted > 0 ? n / counted : NaN);
    return {
      counted,
      redisCommands: per(sent),
      redisScriptCommands: per(scripted),
      byCommand: [...commands.entries()].sort((a, b) => b[1] - a[1]).map(([name, n]) => [name, per(n)]),
      pgTransactions: per(after - before),
    };
  } finally {
    monitor.destroy();
  }
}

/**
 * Transactions of the bench database so far. Backends report their counters to the statistics
 * within about a second of their last transaction, so this waits that long first.
 */
async function transactions(env: Env): Promise<number> {
  await new Promise((r) => setTimeout(r, 1_500));
  const { rows } = await env.pool.query<{ n: string }>(
    `select xact_commit + xact_rollback as n from pg_stat_database where datname = $1`,
    [env.databaseName],
  );
  return Number(rows[0]?.n ?? 0);
}

/** One line of MONITOR's output: `+1339518083.107412 [0 127.0.0.1:60866] "keys" "*"` (`lua` for a script's). */
const MONITOR_LINE = /^\+\d+\.\d+ \[(\d+) ([^\]]+)\] "([^"]*)"/;

/**
 * Streams MONITOR on a socket of its own and calls `onCommand` with each command's database, source
 * (`lua` or the client's address) and name. Not through ioredis: its monitor mode starts a tick
 * after MONITOR's `+OK`, and a busy server's first lines, arriving in the same read, crash it
 * ("Command queue state error").
 */
async function monitorRedis(
  url: string,
  onCommand: (database: number, source: string, name: string) => void,
): Promise<net.Socket> {
  const { hostname, port, username, password } = new URL(url);
  const socket = net.connect(Number(port || 6379), hostname || '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {}); // the counts simply stop; the scenario ends it anyway
  let pending = '';
  let started = false;
  const ready = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString('latin1')).split('\r\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!started) {
          if (line.startsWith('-')) reject(new Error(`MONITOR refused: ${line.slice(1)}`));
          if (line === '+OK') started = true;
          if (started) resolve();
          continue;
        }
        const m = MONITOR_LINE.exec(line);
        if (m) onCommand(Number(m[1]), m[2] === 'lua' ? 'lua' : (m[2] ?? ''), (m[3] ?? '').toLowerCase());
      }
    });
  });
  const auth = password ? `AUTH ${username ? `${decodeURIComponent(username)} ` : ''}${decodeURIComponent(password)}\r\n` : '';
  socket.write(`${auth}MONITOR\r\n`);
  await ready;
  return socket;
}
