/** The part of a logger this needs (app/ports.ts's Logger and pino both fit); declared here so
 * adapters/postgres, which sits below the use cases, can use it without importing them. */
export interface OutageLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Turns a client's stream of 'error' events into two log lines per outage: the first error, and
 * the recovery with how long it lasted and how many errors came in between. A client retrying a
 * dead Redis emits an error on every attempt; logging each would bury everything else, logging
 * none would hide the outage until requests fail.
 */
export class OutageLog {
  private since: number | null = null;
  private errors = 0;

  constructor(
    private readonly log: OutageLogger,
    /** What is out, as the log should name it: "PostgreSQL", "Redis (requests)". */
    private readonly what: string,
    private readonly now: () => number = Date.now,
  ) {}

  get down(): boolean {
    return this.since !== null;
  }

  /** An error event: logged if it starts an outage, counted otherwise. */
  failed(err: unknown): void {
    this.errors += 1;
    if (this.since !== null) return;
    this.since = this.now();
    this.log.error({ err, service: this.what }, `${this.what}: connection failed; further errors are counted until it is back`);
  }

  /** The client is usable again: logs the end of the outage, if there was one. */
  recovered(): void {
    if (this.since === null) return;
    const downMs = this.now() - this.since;
    this.log.info(
      { service: this.what, downMs, errors: this.errors },
      `${this.what}: back after ${downMs} ms (${this.errors} errors)`,
    );
    this.since = null;
    this.errors = 0;
  }
}
