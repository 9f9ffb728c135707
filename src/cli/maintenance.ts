import { createPool } from '../adapters/postgres/db.ts';
import { migrate } from '../adapters/postgres/migrate.ts';
import { redisReady, redisTarget } from '../adapters/redis/client.ts';
import { seedProducts } from '../adapters/postgres/products.ts';
import { checkInvariants, OVERDUE_GRACE_SECONDS, reconcile } from '../app/reconcile.ts';
import { deploymentShape, type Config } from '../config.ts';
import { openDatabase, openRuntime, type Runtime } from '../runtime.ts';
import { createLogger } from './logger.ts';

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

async function withPool<T>(config: Config, fn: (pool: ReturnType<typeof createPool>) => Promise<T>): Promise<T> {
  const database = await openDatabase(config, createLogger(config));
  try {
    const pool = createPool({ connectionString: database.url, max: 2, applicationName: 'flashsale-cli' });
    try {
      return await fn(pool);
    } finally {
      await pool.end();
    }
  } finally {
    await database.close();
  }
}

async function withRuntime<T>(config: Config, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const rt = await openRuntime(config, createLogger(config), 'cli');
  try {
    if (rt.redis) await redisReady(rt.redis);
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

export async function migrateCommand(config: Config): Promise<void> {
  const applied = await withPool(config, (pool) => migrate(pool, { currency: config.CURRENCY }));
  out(applied.length === 0 ? 'Database is up to date.' : `Applied ${applied.length} migration(s): ${applied.join(', ')}`);
}

export async function seedCommand(config: Config): Promise<void> {
  const created = await withPool(config, async (pool) => {
    await migrate(pool, { currency: config.CURRENCY });
    return seedProducts(pool, config.CURRENCY);
  });
  if (created.length === 0) out('Demo products already exist; nothing changed.');
  for (const p of created) out(`Created product ${p.id} "${p.name}" with stock ${p.total_stock}.`);
  if (redisTarget(config)) {
    const report = await withRuntime(config, (rt) => reconcile(rt.ctx));
    out(`Mirrored the stock of ${report.products} product(s) into Redis.`);
  }
}

// Without Redis the mirror lives inside the serving process; another process cannot see it.
const IN_PROCESS_MIRROR_NOTE =
  'No REDIS_URL or REDIS_CLUSTER_NODES: the mirror is in-process, inside the serving process, which reconciles it itself every RECONCILE_INTERVAL_MS.';

export async function reconcileCommand(config: Config): Promise<void> {
  if (deploymentShape(config).redis === 'in-process') {
    out(IN_PROCESS_MIRROR_NOTE);
    out('Nothing to reconcile from here.');
    return;
  }
  const report = await withRuntime(config, (rt) => reconcile(rt.ctx));
  out(`Reconciled ${report.products} product(s); repaired ${report.repaired.length}.`);
  for (const r of report.repaired)
    out(`  product ${r.productId}: mirror ${r.result === 'created' ? 'was missing' : 'differed'}, now equals the database`);
}

/** Past this, the job or at the latest a few rounds of the sweeper should have ended a hold or an order. */
const overdueGraceSeconds = (config: Config): number =>
  Math.max(OVERDUE_GRACE_SECONDS, Math.ceil((3 * config.SWEEP_INTERVAL_MS) / 1_000));

export async function check(config: Config): Promise<number> {
  const inProcessMirror = deploymentShape(config).redis === 'in-process';
  const report = await withRuntime(config, async (rt) => {
    const full = await checkInvariants(rt.ctx, null, overdueGraceSeconds(config));
    // This process's own in-process mirror is empty and says nothing about the server's: I1 only.
    return inProcessMirror ? { ...full, violations: full.violations.filter((v) => v.invariant !== 'I2') } : full;
  });
  if (inProcessMirror) out(`${IN_PROCESS_MIRROR_NOTE} I2 (mirror = database) is not checked from here.\n`);
  const header = ['product', 'total', 'available', 'held', 'ordered', 'redis', 'ok'];
  const rows = report.figures.map((f) => {
    const ok = !report.violations.some((v) => v.productId === f.productId);
    const mirrored = inProcessMirror ? 'n/a' : (f.mirrored ?? '-');
    return [f.productId, f.totalStock, f.available, f.held, f.ordered, mirrored, ok ? 'yes' : 'NO'].map(String);
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  out(line(header));
  for (const r of rows) out(line(r));
  out();
  for (const v of report.violations) out(`VIOLATION ${v.invariant} product ${v.productId}: ${v.message}`);
  out(
    report.violations.length === 0
      ? `All invariants hold for ${report.figures.length} product(s).`
      : `${report.violations.length} violation(s).`,
  );
  return report.violations.length === 0 ? 0 : 1;
}
