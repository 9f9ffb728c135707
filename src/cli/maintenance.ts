import { createPool } from '../adapters/postgres/db.ts';
import { migrate } from '../adapters/postgres/migrate.ts';
import { redisReady } from '../adapters/redis/client.ts';
import { seedProducts } from '../adapters/postgres/products.ts';
import { checkInvariants, reconcile } from '../app/reconcile.ts';
import { ConfigError, requireConnections, type Config } from '../config.ts';
import { createRuntime, type Runtime } from '../runtime.ts';
import { createLogger } from './logger.ts';

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

async function withPool<T>(config: Config, fn: (pool: ReturnType<typeof createPool>) => Promise<T>): Promise<T> {
  if (!config.DATABASE_URL) throw new ConfigError('Invalid configuration:\n  DATABASE_URL: is required');
  const pool = createPool({ connectionString: config.DATABASE_URL, max: 2, applicationName: 'flashsale-cli' });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

async function withRuntime<T>(config: Config, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  requireConnections(config);
  const rt = createRuntime(config, createLogger(config), 'cli');
  try {
    await redisReady(rt.redis);
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

export async function migrateCommand(config: Config): Promise<void> {
  const applied = await withPool(config, migrate);
  out(applied.length === 0 ? 'Database is up to date.' : `Applied ${applied.length} migration(s): ${applied.join(', ')}`);
}

export async function seedCommand(config: Config): Promise<void> {
  const created = await withPool(config, async (pool) => {
    await migrate(pool);
    return seedProducts(pool);
  });
  if (created.length === 0) out('Demo products already exist; nothing changed.');
  for (const p of created) out(`Created product ${p.id} "${p.name}" with stock ${p.total_stock}.`);
  if (config.REDIS_URL) {
    const report = await withRuntime(config, (rt) => reconcile(rt.ctx));
    out(`Mirrored the stock of ${report.products} product(s) into Redis.`);
  }
}

export async function reconcileCommand(config: Config): Promise<void> {
  const report = await withRuntime(config, (rt) => reconcile(rt.ctx));
  out(`Reconciled ${report.products} product(s); repaired ${report.repaired.length}.`);
  for (const r of report.repaired) out(`  product ${r.productId}: mirror ${r.result === 'created' ? 'was missing' : 'differed'}, now equals the database`);
}

export async function check(config: Config): Promise<number> {
  const report = await withRuntime(config, (rt) => checkInvariants(rt.ctx));
  const header = ['product', 'total', 'available', 'held', 'ordered', 'redis', 'ok'];
  const rows = report.figures.map((f) => {
    const ok = !report.violations.some((v) => v.productId === f.productId);
    return [f.productId, f.totalStock, f.available, f.held, f.ordered, f.mirrored ?? '-', ok ? 'yes' : 'NO'].map(String);
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  out(line(header));
  for (const r of rows) out(line(r));
  out();
  for (const v of report.violations) out(`VIOLATION ${v.invariant} product ${v.productId}: ${v.message}`);
  out(report.violations.length === 0
    ? `All invariants hold for ${report.figures.length} product(s).`
    : `${report.violations.length} violation(s).`);
  return report.violations.length === 0 ? 0 : 1;
}
