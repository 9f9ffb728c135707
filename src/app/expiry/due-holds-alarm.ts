import { nextHoldDue, sleepUntil } from '../../adapters/postgres/holds.ts';
import type { AppContext } from '../ports.ts';
import type { DueHoldsDrain } from './expiry-drain.ts';

export interface DueHoldsAlarmOptions {
  /** The timer rings this much before the instant; the rest is waited out in the database. */
  leadMs?: number;
  /** At least this long between two rings, so that holds falling due one by one do not keep it busy. */
  minGapMs?: number;
}

/**
 * Starts the drain at the instant the next holds fall due, by the database clock, rather than when
 * their jobs fire (BullMQ fires a storm of 10,000 due together about half a second late) or the
 * next sweep comes (up to an interval late). The alarm is only a head start: the jobs and the
 * sweeper stay, and find the holds it ended already gone (decision 27).
 *
 * `arm()` asks the database when the next active hold falls due and sets a timer for that instant,
 * a little early; when it rings, a query waits in the database until its clock reaches the
 * instant, then the drain runs. After each ring, and whenever `arm()` is called again (each sweep),
 * it is set anew for whatever is due next.
 */
export class DueHoldsAlarm {
  private timer: NodeJS.Timeout | undefined;
  /** The instant the timer is set for. */
  private armedFor: string | null = null;
  private lastRing = -Infinity;
  private ringing: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly leadMs: number;
  private readonly minGapMs: number;

  constructor(
    private readonly ctx: AppContext,
    private readonly drain: DueHoldsDrain,
    opts: DueHoldsAlarmOptions = {},
  ) {
    this.leadMs = opts.leadMs ?? 25;
    this.minGapMs = opts.minGapMs ?? 50;
  }

  /** Sets the alarm for the next instant a hold falls due (or clears it when none is ahead). */
  async arm(): Promise<void> {
    if (this.stopped) return;
    const next = await nextHoldDue(this.ctx.pool);
    if (this.stopped || next?.at === this.armedFor) return;
    clearTimeout(this.timer);
    this.armedFor = next?.at ?? null;
    if (!next) return;
    const sinceRing = performance.now() - this.lastRing;
    const delay = Math.max(0, next.inMs - this.leadMs, this.minGapMs - sinceRing);
    this.timer = setTimeout(() => this.ring(next.at), delay);
    this.timer.unref();
  }

  /** Clears the alarm and waits for a ring in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ringing;
  }

  private ring(at: string): void {
    this.armedFor = null;
    this.lastRing = performance.now();
    this.ringing = (async () => {
      await sleepUntil(this.ctx.pool, at);
      await this.drain.kick();
      await this.arm();
    })().catch((err: unknown) => {
      // The jobs and the sweeper expire the holds anyway; the next sweep sets the alarm again.
      this.ctx.log.warn({ err }, 'expiry alarm failed');
    });
  }
}
