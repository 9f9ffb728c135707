/**
 * Waits until `probe` answers true (a probe that throws counts as not yet), polling every
 * `stepMs`; fails naming `what` after `timeoutMs`. For the value itself, see `eventually`.
 */
export async function waitFor(probe: () => Promise<boolean>, timeoutMs: number, what: string, stepMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
