import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants, reconcile } from '../../src/app/reconcile.ts';
import { TestService } from '../helpers/service.ts';
import { SaleModel } from './reference-model.ts';
import { randomBytes } from 'node:crypto';
import {
  AdvanceOrderClock,
  CreateOrder,
  CUSTOMERS,
  PaymentWebhook,
  PlaceHold,
  ReadOrder,
  ReleaseHold,
  RepeatWebhook,
  saleCommands,
  SetRules,
  Sweep,
  type Cmd,
  type Real,
} from './sale-commands.ts';

/**
 * Model-based test: random sequences of holds, releases, orders, order reads, payments (late ones
 * included), repeated and contradicting webhooks, clock advances of holds and of order deadlines,
 * sweeps and Redis flushes run against the real service
 * and against a small reference model. After every step both agree on each product's available,
 * held and ordered stock and on the status of every hold and order; the mirror is either missing
 * (flushed) or equal to the database, and equal everywhere after one reconcile at the end.
 */
const STOCK = [4, 7, 3];
const ADMIN_TOKEN = 'model-test-admin-token-0123456789';

describe('the service agrees with the reference model', () => {
  let svc: TestService;
  beforeAll(async () => {
    // Nothing in the background: expiry happens only where the commands make it happen.
    // Its own database: the sweep command expires every overdue hold there, which must be this test's only.
    svc = await TestService.start({ worker: 'none', ownDatabase: true, env: { ADMIN_TOKEN } });
  });
  afterAll(() => svc.close());

  async function expectAgreement(r: Pick<Real, 'svc' | 'productIds'>, m: SaleModel): Promise<void> {
    const { rows: products } = await svc.rt.pool.query(
      `select p.id, p.available,
              coalesce((select sum(l.quantity) from holds h join hold_lines l on l.hold_id = h.id
                         where l.product_id = p.id and h.status = 'active'), 0)::int as held,
              coalesce((select sum(l.quantity) from orders o join order_lines l on l.order_id = o.id
                         where l.product_id = p.id and o.payment_status in ('created', 'paid')), 0)::int as ordered
         from products p where p.id = any($1::bigint[]) order by p.id`,
      [r.productIds],
    );
    expect(products).toEqual(
      r.productIds.map((id, i) => ({ id, available: m.available[i], held: m.held(i), ordered: m.ordered(i) })),
    );
    const { rows: holds } = await svc.rt.pool.query(
      `select id, status, customer_id from holds h
        where exists (select 1 from hold_lines l where l.hold_id = h.id and l.product_id = any($1::bigint[]))`,
      [r.productIds],
    );
    expect(new Map(holds.map((h) => [h.id, [h.status, h.customer_id]]))).toEqual(
      new Map(m.holds.map((h) => [h.id, [h.status, h.customer]])),
    );
    const { rows: orders } = await svc.rt.pool.query(
      `select id, payment_status, refund_due from orders o
        where exists (select 1 from order_lines l where l.order_id = o.id and l.product_id = any($1::bigint[]))`,
      [r.productIds],
    );
    expect(new Map(orders.map((o) => [o.id, [o.payment_status, o.refund_due]]))).toEqual(
      new Map(m.orders.map((o) => [o.id, [o.status, o.refundDue]])),
    );
    for (const [i, id] of r.productIds.entries()) {
      const mirrored = await svc.mirrorAvailable(id);
      if (mirrored !== null) expect(mirrored, `mirror of product ${id}`).toBe(m.available[i]);
    }
  }

  /** One sale on fresh products: the commands run on the service and the model side by side. */
  async function runSale(commands: Iterable<Cmd>): Promise<void> {
    const productIds: number[] = [];
    for (const stock of STOCK) productIds.push(await svc.createProduct(stock));
    const model = new SaleModel(STOCK);
    const customerIds = Array.from({ length: CUSTOMERS }, (_, i) => `model-${randomBytes(4).toString('hex')}-c${i}`);
    const real: Real = {
      svc,
      productIds,
      customerIds,
      adminToken: ADMIN_TOKEN,
      agree: (m) => expectAgreement({ svc, productIds }, m),
    };
    await fc.asyncModelRun(() => ({ model, real }), commands);
    await reconcile(svc.rt.ctx, productIds);
    // I1 and I2 hold; I8 is broken exactly where a limit was lowered below what a customer had
    // already (nothing is taken back), and `check` names those customers.
    const report = await checkInvariants(svc.rt.ctx, productIds);
    expect(report.violations.filter((v) => v.invariant !== 'I8')).toEqual([]);
    expect(report.violations.filter((v) => v.invariant === 'I8').map((v) => v.message)).toEqual(
      model.pastLimit().map((p) => `customer ${p.customer} has ${p.units}, the limit per customer is ${p.limit}`),
    );
  }

  it('over 200 random sales of up to 40 steps', async () => {
    await fc.assert(fc.asyncProperty(saleCommands(STOCK.length), runSale), { numRuns: 200 });
  });

  // Failures the model found, kept as the shrunk sequences it reported.
  it.each([
    {
      found: 'release of an ordered hold answered 500 (seed 2100287279, path 0:4:3:3:3)',
      commands: () => [new PlaceHold(0, 1), new CreateOrder(0), new ReleaseHold(0)],
    },
    {
      found: 'a limit lowered below what a customer held showed as I8 (seed -1217641922, path 16:3:2:4:3:6:6:4:4:4:4:4)',
      commands: () => [new PlaceHold(0, 2, [], false, 0), new SetRules(0, 1, 'open'), new PlaceHold(0, 1, [], true)],
    },
    {
      found:
        'a cart with a sold-out line and a line not on sale yet was refused by the mirror as insufficient-stock ' +
        '(seed -1034945352, path 124:5:5:6:8:6:6:7:12:12:12)',
      commands: () => [
        new PlaceHold(2, 3, [{ product: 0, quantity: 1 }]),
        new SetRules(1, null, 'not-started'),
        new PlaceHold(2, 1, [{ product: 1, quantity: 1 }]),
      ],
    },
  ])('regression: $found', async ({ commands }) => {
    await runSale(commands());
  });

  it('limits count active holds and live orders per customer; a closed window refuses before anything else', async () => {
    await runSale([
      new SetRules(1, 3, 'open'),
      new PlaceHold(1, 2, [], false, 0),
      new PlaceHold(1, 2, [], false, 0),
      new PlaceHold(1, 2, [], false, 1),
      new PlaceHold(1, 1, [], false, null),
      new CreateOrder(0),
      new PlaceHold(1, 1, [], false, 0),
      new PaymentWebhook(0, 'failed'),
      new PlaceHold(1, 2, [], false, 0),
      new PlaceHold(0, 1, [{ product: 1, quantity: 5 }], true, 0),
      new SetRules(2, null, 'not-started'),
      new PlaceHold(2, 9, [{ product: 1, quantity: 1 }], true, null),
      new SetRules(2, 1, 'ended'),
      new PlaceHold(2, 1, [], false, 2),
      new SetRules(2, 1, 'open'),
      new PlaceHold(2, 1, [], false, 2),
    ]);
  });

  it('a cart refused for one line leaves every product as it was; a failed payment returns every line', async () => {
    await runSale([
      new PlaceHold(0, 3, [{ product: 2, quantity: 3 }]),
      new PlaceHold(1, 1, [{ product: 2, quantity: 1 }]),
      new PlaceHold(2, 1, [
        { product: 0, quantity: 1 },
        { product: 1, quantity: 7 },
      ]),
      new CreateOrder(0),
      new PaymentWebhook(0, 'failed'),
      new PlaceHold(2, 1, [
        { product: 0, quantity: 1 },
        { product: 1, quantity: 6 },
      ]),
    ]);
  });

  it('orders past their deadline: a late payment cancels first and owes a refund once; a read cancels too', async () => {
    await runSale([
      new PlaceHold(0, 2),
      new CreateOrder(0),
      new AdvanceOrderClock(0),
      new PaymentWebhook(0, 'paid'),
      new RepeatWebhook(0, true),
      new PaymentWebhook(0, 'paid'),
      new PaymentWebhook(0, 'failed'),
      new PlaceHold(0, 4),
      new CreateOrder(1),
      new AdvanceOrderClock(1),
      new ReadOrder(1),
      new Sweep(),
      new CreateOrder(1),
    ]);
  });
});
