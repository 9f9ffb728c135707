import { describe, expect, it } from 'vitest';
import { InProcessRateCounter } from '../../src/adapters/in-process/rate-counter.ts';
import { InProcessRequestIdempotencyStore } from '../../src/adapters/in-process/request-idempotency-store.ts';
import { InProcessWebhookReplayGuard } from '../../src/adapters/in-process/webhook-replay-guard.ts';

/** A clock the test moves by hand. */
const manualClock = () => {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
};

describe('in-process edge guards (embedded mode)', () => {
  it('idempotency keys: claimed once, in flight for the others, completed with the response, expired after their TTL', async () => {
    const clock = manualClock();
    const store = new InProcessRequestIdempotencyStore(clock.now);
    const first = await store.claim('k', 'f1', 60);
    expect(first.state).toBe('claimed');
    expect(await store.claim('k', 'f1', 60)).toEqual({ state: 'in_flight', fingerprint: 'f1' });
    const response = { status: 201, headers: { 'content-type': 'application/json' }, body: '{"a":1}' };
    await store.complete('k', 'f1', response, 86_400);
    expect(await store.claim('k', 'f2', 60)).toEqual({ state: 'completed', fingerprint: 'f1', response });
    clock.advance(86_400_000 - 1);
    expect((await store.claim('k', 'f1', 60)).state).toBe('completed');
    clock.advance(1);
    expect((await store.claim('k', 'f1', 60)).state).toBe('claimed');
  });

  it('idempotency keys: a release frees only the claim of its own token; a crashed claim frees itself', async () => {
    const clock = manualClock();
    const store = new InProcessRequestIdempotencyStore(clock.now);
    const first = (await store.claim('k', 'f', 60)) as { state: 'claimed'; token: string };
    await store.release('k', 'someone else');
    expect((await store.claim('k', 'f', 60)).state).toBe('in_flight');
    await store.release('k', first.token);
    expect((await store.claim('k', 'f', 60)).state).toBe('claimed');
    clock.advance(60_000);
    expect((await store.claim('k', 'f', 60)).state).toBe('claimed');
  });

  it('webhook ids: seen once within the window, again after it or after forget', async () => {
    const clock = manualClock();
    const guard = new InProcessWebhookReplayGuard(clock.now);
    expect(await guard.firstSighting('msg_1', 600)).toBe(true);
    expect(await guard.firstSighting('msg_1', 600)).toBe(false);
    await guard.forget('msg_1');
    expect(await guard.firstSighting('msg_1', 600)).toBe(true);
    clock.advance(600_000);
    expect(await guard.firstSighting('msg_1', 600)).toBe(true);
  });

  it('rate counter: counts within a fixed window and starts over after it', async () => {
    const clock = manualClock();
    const counter = new InProcessRateCounter(clock.now);
    expect(await counter.hit('ip', 1_000)).toEqual({ count: 1, resetMs: 1_000 });
    clock.advance(400);
    expect(await counter.hit('ip', 1_000)).toEqual({ count: 2, resetMs: 600 });
    expect(await counter.hit('other', 1_000)).toEqual({ count: 1, resetMs: 1_000 });
    clock.advance(600);
    expect(await counter.hit('ip', 1_000)).toEqual({ count: 1, resetMs: 1_000 });
  });
});
