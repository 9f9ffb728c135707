/**
 * How long idempotency is remembered, written once: an `Idempotency-Key` and its response, a
 * webhook's `idempotency_key` in the fast cache, and a payment event waiting for its order are
 * all kept this long (a day, as the IETF idempotency-key draft suggests). The one other place that
 * says it is SQL, which cannot import it: the interval in pending-payment-events.sql.
 */
export const IDEMPOTENCY_RETENTION_SECONDS = 24 * 3600;

/** The same span in words, for messages and API descriptions. */
export const IDEMPOTENCY_RETENTION_TEXT = `${IDEMPOTENCY_RETENTION_SECONDS / 3600} hours`;
