import type { RedisClient } from '../../src/adapters/redis/client.ts';
import type { RedisServer } from '../helpers/redis-server.ts';
import { insertProduct } from '../../src/adapters/postgres/products.ts';
import { stockKey } from '../../src/adapters/redis/stock-mirror.ts';
import { checkInvariants } from '../../src/app/reconcile.ts';
import { RedisStockMirror } from '../../src/adapters/redis/stock-mirror.ts';
import { classify, runFlashSale } from './flash-sale-load.ts';
import { Cluster, runCheckCli, sleep, type RedisBackend } from './harness.ts';
import { expiryLags, sampleStock, verifyAcknowledged, verifyLedger, waitAllHoldsFinal } from './verify.ts';

export interface ScenarioOptions<R extends RedisBackend & ProbedBackend = RedisServer> {
  name: string;
  /** The API processes' ports; free ones are picked at run time when not given. */
  ports?: { apis: [number, number] };
  /** One private redis-server or a Redis Cluster, started and stopped by the scenario. */
  redis: R;
  holdTtlSeconds: number;
  buyers: number;
  durationMs: number;
  /** Injects the fault while the sale runs; says which API was down when, and when expiry could resume. */
  fault: (cluster: Cluster<R>, productIds: number[]) => Promise<FaultReport>;
  /**
   * The test's `annotate`: the run's figures go through it (awaited, unlike a console line a worker
   * may still be sending when it closes), and the verbose reporter prints them.
   */
  annotate: (message: string) => Promise<unknown>;
  /** Further checks once every hold is final; their figures are reported as `after`. */
  afterSettle?: (cluster: Cluster<R>, probe: RedisClient) => Promise<Record<string, unknown>>;
}

/** A backend that gives the test a client of its own, to read the mirror while the sale runs. */
export interface ProbedBackend {
  client(): Promise<RedisClient>;
}

export interface FaultReport {
  /** Figures of the fault itself (which node died, how long its failover took), reported as they are. */
  details?: Record<string, unknown>;
  /** When an API process was down: connection failures to it then are expected. */
  down?: DownWindow[];
  /** When a worker was back after none ran: holds due before then may end this late, no later. */
  expiryResumedAt?: number;
}

export interface DownWindow {
  api: number;
  from: number;
  to: number;
}

/** After the last fault, how long the mirror may take to equal the database again (reconciler every 1 s). */
export const MIRROR_HEAL_BOUND_MS = 5_000;

/**
 * One fault test from start to end: a fresh cluster, a flash sale at its two APIs with the stock
 * sampled throughout, the fault injected mid-sale, then every check of I1-I5 once it settles.
 * Returns the figures; the test asserts on them.
 */
export async function runScenario<R extends RedisBackend & ProbedBackend>(opts: ScenarioOptions<R>) {
  const cluster = new Cluster<R>(opts.ports, opts.holdTtlSeconds, opts.redis);
  let probe: RedisClient | null = null;
  try {
    await cluster.start();
    probe = await opts.redis.client();
    const mirrorProbe = probe;
    const products = await Promise.all(
      [300, 150, 60].map((stock, i) => insertProduct(cluster.db.pool, { name: `fault sale ${i}`, price: 10 + i, stock })),
    );
    const productIds = products.map((p) => p.id);
    const readMirror = async (id: number) => {
      const v = await mirrorProbe.get(stockKey('', id));
      return v === null ? null : Number(v);
    };

    const sampler = sampleStock(cluster.db.pool, productIds, readMirror);
    const loadStarted = Date.now();
    const [load, report] = await Promise.all([
      runFlashSale({ apiUrls: cluster.apis.map((a) => a.url), productIds, buyers: opts.buyers, durationMs: opts.durationMs }),
      opts.fault(cluster, productIds),
    ]);
    const loadEnded = Date.now();

    // Every hold has a TTL, so all must end; the bound is the TTL plus the sweeper's slack.
    const settleBoundMs = opts.holdTtlSeconds * 1000 + 10_000;
    const settled = await waitAllHoldsFinal(cluster.db.pool, settleBoundMs);
    const samples = await sampler.stop();
    const after = (await opts.afterSettle?.(cluster, mirrorProbe)) ?? {};

    // I2: once nothing is in flight, the mirror equals the database within the reconciler's period.
    const mirror = new RedisStockMirror(mirrorProbe);
    const healStart = Date.now();
    let invariants = await checkInvariants({ pool: cluster.db.pool, mirror }, productIds);
    while (invariants.violations.length > 0 && Date.now() - healStart < MIRROR_HEAL_BOUND_MS) {
      await sleep(100);
      invariants = await checkInvariants({ pool: cluster.db.pool, mirror }, productIds);
    }
    const mirrorHealedMs = Date.now() - healStart;
    const cli = await runCheckCli(cluster.env);

    const downWindows = report.down ?? [];
    const requests = classify(load.exchanges, (api, at) => downWindows.some((w) => w.api === api && at >= w.from && at <= w.to));
    const acked = await verifyAcknowledged(cluster.db.pool, load.acked);
    const ledger = await verifyLedger(cluster.db.pool, productIds);
    const lags = await expiryLags(cluster.db.pool, report.expiryResumedAt);
    const { rows: totals } = await cluster.db.pool.query(
      `select (select count(*)::int from holds) as holds, (select count(*)::int from orders) as orders,
              (select count(*)::int from orders where payment_status = 'paid') as paid,
              (select count(*)::int from payment_events) as payment_events`,
    );
    const summary = {
      name: opts.name,
      loadMs: loadEnded - loadStarted,
      requests: { ...requests, unexpected: requests.unexpected.slice(0, 5) },
      unexpectedCount: requests.unexpected.length,
      samples,
      settled,
      settleBoundMs,
      lags,
      mirrorHealedMs,
      fault: report.details ?? {},
      after,
      invariants: invariants.violations,
      cli,
      acked,
      ledger,
      totals: totals[0],
      logsOnFailure: [] as string[],
    };
    if (requests.unexpected.length > 0 || cli.code !== 0) {
      summary.logsOnFailure = [...cluster.apis, cluster.worker].map((p) => p.log.join('').slice(-2_000));
    }
    // The figures docs/reliability.md reports.
    await opts.annotate(JSON.stringify({ ...summary, cli: { code: cli.code } }, null, 1));
    return summary;
  } finally {
    probe?.disconnect();
    await cluster.stop();
  }
}
