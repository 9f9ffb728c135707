/**
 * What the HTTP edge needs from the outside world besides the use cases: guards for the
 * `Idempotency-Key` header, webhook replays and rate limits (Redis in production, in-process
 * stand-ins in the embedded mode), and a metrics exporter. Only the HTTP layer uses them, so they
 * are ports of that layer, not of the use cases.
 */

/** A response as sent, kept so a retry with the same `Idempotency-Key` gets the very same answer. */
export interface RecordedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What is known about an `Idempotency-Key` when a request claims it. */
export type IdempotencyClaim =
  | { state: 'claimed'; token: string }
  | { state: 'in_flight'; fingerprint: string }
  | { state: 'completed'; fingerprint: string; response: RecordedResponse };

/**
 * Request keys of the `Idempotency-Key` header (IETF httpapi-idempotency-key-header): claimed
 * atomically by the first request, then holding its response until they expire.
 */
export interface RequestIdempotencyStore {
  /** Claims `key` for a request with this fingerprint unless it is known; else says what is known. */
  claim(key: string, fingerprint: string, lockSeconds: number): Promise<IdempotencyClaim>;
  /** Stores the response of the request that claimed `key`, for `ttlSeconds`. */
  complete(key: string, fingerprint: string, response: RecordedResponse, ttlSeconds: number): Promise<void>;
  /** Gives up a claim (by its token) that produced no answer worth repeating, so a retry runs again. */
  release(key: string, token: string): Promise<void>;
}

/** Signed webhook message ids seen recently, so the same signed message cannot be delivered twice. */
export interface WebhookReplayGuard {
  /** Records `messageId`; false when it was already recorded within the last `ttlSeconds`. */
  firstSighting(messageId: string, ttlSeconds: number): Promise<boolean>;
  /** Forgets `messageId`, so the sender's retry of a message that failed on our side is accepted. */
  forget(messageId: string): Promise<void>;
}

/** Fixed-window hit counters per client, shared by every process (rate limiting). */
export interface RateCounter {
  /** Counts one hit for `key`; returns the hits in the current window and ms until it ends. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetMs: number }>;
}

/** The three guards, built once by the runtime and handed to the HTTP app. */
export interface EdgeGuards {
  requestIdempotency: RequestIdempotencyStore;
  webhookReplays: WebhookReplayGuard;
  rateCounter: RateCounter;
}

/** Serves `/metrics` and times every request (Prometheus in this service). */
export interface MetricsExporter {
  /**
   * Times the answers of one route pattern: the returned function records one answer. It keeps
   * the series it has written to, so a request costs no label lookup.
   */
  requestTimer(route: string): (method: string, statusCode: number, seconds: number) => void;
  render(): Promise<{ contentType: string; body: string }>;
}
