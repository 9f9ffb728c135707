/**
 * Latency as counts in logarithmic buckets (the DDSketch idea): bucket i holds the values in
 * (MIN_MS * GAMMA^(i-1), MIN_MS * GAMMA^i]. Counts of several processes and seconds add up, and
 * any quantile read back is within GAMMA's relative error (about 2.5% here) of the true value.
 */
const GAMMA = 1.05;
const MIN_MS = 0.01;
const LOG_GAMMA = Math.log(GAMMA);

/** The bucket a latency in milliseconds falls in (0 for MIN_MS and below). */
export function latencyBucket(ms: number): number {
  return ms <= MIN_MS ? 0 : Math.ceil(Math.log(ms / MIN_MS) / LOG_GAMMA);
}

/** The value a bucket stands for: the middle of its range, in relative terms. */
export function bucketValue(bucket: number): number {
  return bucket === 0 ? MIN_MS : (MIN_MS * 2 * GAMMA ** bucket) / (1 + GAMMA);
}

/** Quantile `q` (0..1) of the values counted in `buckets` (bucket → count); null when there are none. */
export function quantile(buckets: Map<number, number>, q: number): number | null {
  let total = 0;
  for (const n of buckets.values()) total += n;
  if (total === 0) return null;
  // Nearest rank: the smallest value with at least q of all values at or below it.
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [bucket, n] of [...buckets].sort(([a], [b]) => a - b)) {
    seen += n;
    if (seen >= rank) return bucketValue(bucket);
  }
  return bucketValue(Math.max(...buckets.keys()));
}
