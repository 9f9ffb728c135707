/**
 * `npm run bench` (about three minutes) and `npm run bench:smoke` (seconds, for CI): measures the
 * service against its baselines in the same run and prints one table. A full run also writes the
 * table into docs/performance.md between its results markers.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createQueueRedis } from '../src/adapters/redis/client.ts';
import { fmtMs, fmtRate, machine, ratioRow, table, type Row } from './report.ts';
import { autocannonLoad, interleaved, type HttpLoad } from './lib/load.ts';
import { startApi, startServer, type Server } from './lib/processes.ts';
import { createBenchEnv, insertBenchProduct } from './lib/setup.ts';
import { lockThenUpdateLoop, singleStatementLoop } from './scenarios/baselines.ts';
import { expiryStorm } from './scenarios/expiry.ts';
import { webhooks } from './scenarios/webhooks.ts';

const smoke = process.argv.includes('--smoke');
const SECONDS = smoke ? 2 : 9;
const ROUNDS = smoke ? 1 : 3;
/** `--only=sell,expiry` runs some scenarios (for working on one); such runs are not written to the docs. */
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const want = (scenario: 'reject' | 'sell' | 'reads' | 'webhooks' | 'expiry' | 'memory') => !only || only.includes(scenario);
const CONNECTIONS = 64;
const PORTS = { bare: Number(process.env.BENCH_PORT_BASE ?? 3400) + 1, api: Number(process.env.BENCH_PORT_BASE ?? 3400) + 10 };
const say = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

async function main(): Promise<void> {
  const env = await createBenchEnv();
  const queueRedis = createQueueRedis(env.redisUrl);
  const servers: Server[] = [];
  const rows: Row[] = [];
  try {
    const apiEnv = {
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      REDIS_PREFIX: env.prefix,
      RUN_WORKER: 'false',
      HOLD_TTL_SECONDS: '900',
    };
    const bare = await startServer(
      ['--import', 'tsx', 'bench/baselines/bare-server.ts'],
      { REDIS_URL: env.redisUrl, REDIS_PREFIX: env.prefix },
      PORTS.bare,
      '/ready',
    );
    servers.push(bare);
    const api = await startApi(apiEnv, PORTS.api);
    servers.push(api);
    const load = (l: Omit<HttpLoad, 'seconds' | 'connections'> & { connections?: number }) => (seconds: number) =>
      autocannonLoad({ connections: CONNECTIONS, seconds, ...l });

    const soldOut = await insertBenchProduct(env.pool, 0);
    const readable = await insertBenchProduct(env.pool, 100);
    // Warm both servers (JIT, connections, mirror keys) before anything is measured.
    for (const l of [
      { url: `${api.url}/api/holds`, method: 'POST' as const, body: { product_id: soldOut, quantity: 1 }, expectStatus: 409 },
      { url: `${bare.url}/bare/hold`, method: 'POST' as const, body: { product_id: soldOut, quantity: 1 }, expectStatus: 409 },
      { url: `${api.url}/api/products/${readable}`, expectStatus: 200 },
      { url: `${bare.url}/bare/stock/${readable}`, expectStatus: 200 },
    ])
      await autocannonLoad({ ...l, connections: 16, seconds: 1 });

    if (want('reject')) {
      say('1/6 reject path');
      const [reject, rejectBase] = await interleaved(
        ROUNDS,
        [
          load({ url: `${api.url}/api/holds`, method: 'POST', body: { product_id: soldOut, quantity: 1 }, expectStatus: 409 }),
          load({ url: `${bare.url}/bare/hold`, method: 'POST', body: { product_id: soldOut, quantity: 1 }, expectStatus: 409 }),
        ],
        SECONDS,
      );
      rows.push(ratioRow('1 reject path: holds on a sold-out product', reject, rejectBase, 0.7, 'bare Fastify + 1 EVALSHA'));
    }
    if (want('sell')) {
      say('2/6 sell path');
      const [singleProduct, lockingProduct, hot] = [
        await insertBenchProduct(env.pool, 10_000_000),
        await insertBenchProduct(env.pool, 10_000_000),
        await insertBenchProduct(env.pool, 10_000_000),
      ];
      await autocannonLoad({
        url: `${api.url}/api/holds`,
        method: 'POST',
        body: { product_id: hot, quantity: 1 },
        connections: 16,
        seconds: 1,
        expectStatus: 201,
      });
      const [sell, single, locking] = await interleaved(
        ROUNDS,
        [
          load({ url: `${api.url}/api/holds`, method: 'POST', body: { product_id: hot, quantity: 1 }, expectStatus: 201 }),
          (seconds) => singleStatementLoop(env.pool, singleProduct, CONNECTIONS, seconds),
          (seconds) => lockThenUpdateLoop(env.pool, lockingProduct, CONNECTIONS, seconds),
        ],
        SECONDS,
      );
      rows.push(
        ratioRow(
          `2 sell path: successful holds, 1 hot product, ${CONNECTIONS} conns`,
          sell,
          single,
          5,
          'pg loop, single-statement hold',
        ),
      );
      rows.push(ratioRow('2 sell path, same run', sell, locking, null, 'pg loop, SELECT FOR UPDATE; UPDATE; INSERT'));
      rows.push({
        scenario: '2 sell path p99 latency',
        service: fmtMs(sell.p99),
        baseline: `single statement p99 ${fmtMs(single.p99)}`,
        ratio: null,
        target: '<= 50 ms',
        met: sell.p99 <= 50,
        miss: sell.p99 > 50 ? `${fmtMs(sell.p99 - 50)} over` : undefined,
      });
      if (!smoke) {
        say('2/6 sell path without group commit');
        const plain = await startApi({ ...apiEnv, HOLD_BATCHING: 'false' }, PORTS.api + 1);
        try {
          const hotPlain = await insertBenchProduct(env.pool, 10_000_000);
          const unbatched = await load({
            url: `${plain.url}/api/holds`,
            method: 'POST',
            body: { product_id: hotPlain, quantity: 1 },
            expectStatus: 201,
          })(SECONDS / ROUNDS);
          rows.push(ratioRow('2 sell path with HOLD_BATCHING=false', unbatched, single, null, 'pg loop, single-statement hold'));
        } finally {
          await plain.stop();
        }
      }
    }
    if (want('reads')) {
      say('3/6 reads');
      const [reads, readsBase] = await interleaved(
        ROUNDS,
        [
          load({ url: `${api.url}/api/products/${readable}`, expectStatus: 200 }),
          load({ url: `${bare.url}/bare/stock/${readable}`, expectStatus: 200 }),
        ],
        SECONDS,
      );
      rows.push(ratioRow('3 reads: GET /api/products/{id}', reads, readsBase, 0.8, 'bare Fastify + 1 GET'));
    }
    if (want('webhooks')) {
      say('4/6 webhooks');
      const wh = await webhooks(api.url, await insertBenchProduct(env.pool, 1_000_000), smoke ? 200 : 3_000, CONNECTIONS);
      rows.push({
        scenario: '4 webhooks: payments applied',
        service: fmtRate(wh.applied),
        baseline: '-',
        ratio: null,
        target: '-',
        met: null,
      });
      rows.push({
        scenario: '4 webhooks: duplicates answered',
        service: fmtRate(wh.duplicates),
        baseline: '-',
        ratio: null,
        target: '-',
        met: null,
      });
    }
    if (want('expiry')) {
      say('5/6 expiry storm');
      const expiry = await expiryStorm({ ...env, queueRedis }, api.url, smoke ? 500 : 10_000, smoke ? 3 : 8);
      rows.push({
        scenario: `5 expiry lag, ${expiry.holds.toLocaleString('en-US')} holds due at once`,
        service: `p50 ${fmtMs(expiry.p50)} p99 ${fmtMs(expiry.p99)} max ${fmtMs(expiry.max)}, drained in ${expiry.drainedSeconds.toFixed(1)} s (${Object.entries(
          expiry.byPath,
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')})`,
        baseline: `holds meanwhile: ${fmtRate(expiry.holdsDuringStorm)}`,
        ratio: null,
        target: 'p99 <= 200 ms',
        met: expiry.p99 <= 200,
        miss: expiry.p99 > 200 ? `${fmtMs(expiry.p99 - 200)} over` : undefined,
      });
    }
    say('6/6 memory');
    const rss = await api.peakRssMb();
    const bareRss = await bare.peakRssMb();
    rows.push({
      scenario: '6 peak RSS of the API process (whole run)',
      service: rss === null ? 'unknown' : `${rss} MB`,
      baseline: `bare server: ${bareRss ?? '?'} MB`,
      ratio: null,
      target: '<= 200 MB',
      met: rss === null ? null : rss <= 200,
      miss: rss !== null && rss > 200 ? `${rss - 200} MB over` : undefined,
    });
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    queueRedis.disconnect();
    await env.close();
  }

  const when = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const report = `Run ${when}${smoke ? ' (smoke: 2 s per measurement, ratios not meaningful)' : ''} on ${machine()}.\n\n${table(rows)}\n`;
  process.stdout.write(`\n${report}`);
  if (!smoke && !only) await writeResults(report);
}

const DOC = new URL('../docs/performance.md', import.meta.url);
const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

/** Replaces the results between the markers in docs/performance.md, keeping the prose around them. */
async function writeResults(report: string): Promise<void> {
  const doc = await readFile(DOC, 'utf8').catch(() => `# Performance\n\n${START}\n${END}\n`);
  const [before, rest] = doc.split(START);
  const after = rest?.split(END)[1] ?? '\n';
  await writeFile(DOC, `${before}${START}\n${report}${END}${after}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
