import { describe, expect, it } from 'vitest';
import { stockKey } from '../../src/adapters/redis/stock-mirror.ts';
import { freePorts } from '../helpers/free-port.ts';
import { RedisCluster } from '../helpers/redis-cluster.ts';
import { expectSurvived } from '../faults/expect-survived.ts';
import { sleep } from '../faults/harness.ts';
import { runScenario } from '../faults/scenario.ts';

/**
 * Two API processes and one worker on a real Redis Cluster (3 masters, 3 replicas, 1 s
 * cluster-node-timeout) under a flash sale of 200 concurrent buyers, while one fault strikes the
 * cluster. Replication is asynchronous, so a failover may lose the last writes of the dead master:
 * mirror values, expiry jobs, idempotency records. Each is backed by PostgreSQL (the reconciler,
 * the sweeper, the payment_events table), so the same exact checks as the single-Redis faults hold.
 */
const BUYERS = 200;
// Longer than the single-Redis runs: on a busy machine a buyer still orders before the hold expires.
const TTL_SECONDS = 5;

/**
 * How long after its expires_at a hold may still be active: the sweeper's period (500 ms) plus a
 * failover (cluster-node-timeout 1 s and an election: 2.5-4 s measured), during which the hold's
 * own job may be unreachable or lost.
 */
const EXPIRY_BOUND_MS = 5_000;

const apiPorts = async (): Promise<[number, number]> => {
  const [a, b] = await freePorts(2);
  return [a!, b!];
};

describe('a flash sale on a Redis Cluster survives', () => {
  it('kill -9 of the master that owns the hot product’s slot, mid-sale', async ({ annotate }) => {
    const s = await runScenario({
      annotate,
      name: 'cluster-hot-master-kill',
      ports: { apis: await apiPorts() },
      redis: new RedisCluster(),
      holdTtlSeconds: TTL_SECONDS,
      buyers: BUYERS,
      durationMs: 9_000,
      fault: async (cluster, productIds) => {
        const hotKey = stockKey('', productIds[0]!);
        await sleep(2_500);
        const master = await cluster.redis.masterOf(hotKey);
        await cluster.redis.kill9(master);
        const failover = await cluster.redis.waitFailover(hotKey, master);
        return { details: { killed: master, promoted: failover.newMaster, failoverMs: failover.tookMs } };
      },
    });
    expectSurvived(s, { expiryLagMs: EXPIRY_BOUND_MS });
    expect(s.fault['promoted']).not.toBe(s.fault['killed']);
  });

  it('kill -9 of the master that owns the expiry queue’s slot, mid-sale', async ({ annotate }) => {
    const s = await runScenario({
      annotate,
      name: 'cluster-queue-master-kill',
      ports: { apis: await apiPorts() },
      redis: new RedisCluster(),
      holdTtlSeconds: TTL_SECONDS,
      buyers: BUYERS,
      durationMs: 9_000,
      fault: async (cluster) => {
        // Every key of the queue carries the hash tag {bull}: one slot, one master.
        const queueKey = '{bull}:hold-expiry:delayed';
        await sleep(2_500);
        const master = await cluster.redis.masterOf(queueKey);
        await cluster.redis.kill9(master);
        const failover = await cluster.redis.waitFailover(queueKey, master);
        return { details: { killed: master, promoted: failover.newMaster, failoverMs: failover.tookMs } };
      },
      // Every hold's job queued after the failover, on the promoted master, is consumed by the
      // worker: the queue holds no hold's job once the last hold is due.
      afterSettle: async (_cluster, probe) => {
        const started = Date.now();
        let pending = -1;
        while (Date.now() - started < (TTL_SECONDS + 10) * 1000) {
          // Orders' payment deadlines share the queue (job id `order-<id>`) but are due long after
          // the sale: only the holds' jobs must be gone.
          const ids = await Promise.all([
            probe.zrange('{bull}:hold-expiry:delayed', '0', '-1'),
            probe.lrange('{bull}:hold-expiry:wait', 0, -1),
            probe.lrange('{bull}:hold-expiry:active', 0, -1),
          ]).catch(() => null);
          pending = ids ? ids.flat().filter((id) => !id.startsWith('order-')).length : -1;
          if (pending === 0) break;
          await sleep(200);
        }
        return { queuePending: pending, queueDrainedMs: Date.now() - started };
      },
    });
    expectSurvived(s, { expiryLagMs: EXPIRY_BOUND_MS });
    expect(s.fault['promoted']).not.toBe(s.fault['killed']);
    expect(s.after['queuePending'], 'expiry jobs left on the promoted master').toBe(0);
  });

  it('the whole cluster stopped for 10 s mid-sale, then restarted empty', async ({ annotate }) => {
    const s = await runScenario({
      annotate,
      name: 'cluster-stopped-restarted-empty',
      ports: { apis: await apiPorts() },
      redis: new RedisCluster(),
      holdTtlSeconds: TTL_SECONDS,
      buyers: BUYERS,
      durationMs: 22_000,
      fault: async (cluster) => {
        await sleep(2_500);
        await cluster.redis.stop();
        const stoppedAt = Date.now();
        await sleep(10_000);
        await cluster.redis.start();
        return { details: { downMs: Date.now() - stoppedAt } };
      },
    });
    expectSurvived(s, { expiryLagMs: EXPIRY_BOUND_MS });
    expect(s.fault['downMs']).toBeGreaterThanOrEqual(10_000);
  });
});
