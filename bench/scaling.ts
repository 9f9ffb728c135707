/**
 * `npm run bench:scaling` (about a minute): the figures behind docs/scaling.md, measured in one
 * run, in turns so that noise from other work falls on all of them alike:
 *   - holds/s on one hot product through one API process (the per-product limit: one row);
 *   - holds/s spread over many products through one API process, then through `serve --processes 2`
 *     (what one more API process adds);
 *   - the PostgreSQL primary's own rate for the same single-statement hold spread over the same
 *     products, from plain pg loops without HTTP (the per-primary limit, the baseline).
 */
import { MINIMAL_HOLD } from './scenarios/baselines.ts';
import { fmtRate, machine, ratioRow, table, type Row } from './report.ts';
import { SaleClient } from '../src/cli/sale-load.ts';
import { autocannonLoad, checkoutClients, interleaved, loopLoad } from './lib/measure.ts';
import { startApi, startServer, type Server } from './lib/processes.ts';
import { createBenchEnv, insertBenchProduct } from './lib/setup.ts';

const SECONDS = Number(process.env.BENCH_SCALING_SECONDS ?? 9);
const ROUNDS = 3;
const CONNECTIONS = 32;
const PRODUCTS = 100;
const PORT = Number(process.env.BENCH_PORT_BASE ?? 3400) + 20;
const say = (msg: string) => process.stderr.write(`bench:scaling: ${msg}\n`);

async function main(): Promise<void> {
  const env = await createBenchEnv();
  const servers: Server[] = [];
  try {
    const apiEnv = {
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      REDIS_PREFIX: env.prefix,
      RUN_WORKER: 'false',
      HOLD_TTL_SECONDS: '900',
      // The PostgreSQL server may be shared: 10 connections per API process, 32 for the pg loops.
      DATABASE_POOL_SIZE: '10',
    };
    const hot = await insertBenchProduct(env.pool, 100_000_000);
    const many: number[] = [];
    for (let i = 0; i < PRODUCTS; i++) many.push(await insertBenchProduct(env.pool, 100_000_000));
    const pick = () => many[Math.floor(Math.random() * many.length)]!;

    say('starting one API process and `serve --processes 2`');
    const one = await startApi(apiEnv, PORT);
    servers.push(one);
    const two = await startServer(
      ['bin/flashsale.js', 'serve', '--processes', '2'],
      { LOG_LEVEL: 'warn', ...apiEnv },
      PORT + 1,
      '/health/live',
    );
    servers.push(two);

    const spread = (url: string) => async (seconds: number) => {
      const http = new SaleClient(url, CONNECTIONS);
      try {
        return await loopLoad(CONNECTIONS, seconds, async () => {
          const res = await http.exchange('POST /api/holds', 'POST', '/api/holds', { product_id: pick(), quantity: 1 });
          return res.status === 201;
        });
      } finally {
        await http.close();
      }
    };
    const hotLoad = (seconds: number) =>
      autocannonLoad({
        url: `${one.url}/api/holds`,
        method: 'POST',
        body: { product_id: hot, quantity: 1 },
        connections: CONNECTIONS,
        seconds,
        expectStatus: 201,
      });
    const primary = async (seconds: number) => {
      const clients = await checkoutClients(env.pool, CONNECTIONS);
      try {
        return await loopLoad(CONNECTIONS, seconds, async (w) => {
          const { rowCount } = await clients[w]!.query(MINIMAL_HOLD, [pick()]);
          return rowCount === 1;
        });
      } finally {
        for (const c of clients) c.release();
      }
    };

    say('warming up');
    await hotLoad(1);
    await spread(one.url)(1);
    await spread(two.url)(1);
    say(`measuring: ${ROUNDS} rounds of ${SECONDS / ROUNDS} s each`);
    const [hotOne, manyOne, manyTwo, pgMany] = await interleaved(
      ROUNDS,
      [hotLoad, spread(one.url), spread(two.url), primary],
      SECONDS,
    );
    const rows: Row[] = [
      ratioRow('holds, 1 hot product, 1 API process', hotOne, pgMany, null, `pg loops over ${PRODUCTS} products`),
      ratioRow(`holds over ${PRODUCTS} products, 1 API process`, manyOne, pgMany, null, `pg loops over ${PRODUCTS} products`),
      ratioRow(`holds over ${PRODUCTS} products, --processes 2`, manyTwo, pgMany, null, `pg loops over ${PRODUCTS} products`),
      ratioRow('2 API processes vs 1, same products', manyTwo, manyOne, null, '1 API process'),
    ];
    process.stdout.write(`${machine()}\n${CONNECTIONS} connections each.\n\n${table(rows)}\n`);
    process.stdout.write(`\nPostgreSQL primary alone: ${fmtRate(pgMany)}\n`);
  } finally {
    for (const s of servers.reverse()) await s.stop();
    await env.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:scaling: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
