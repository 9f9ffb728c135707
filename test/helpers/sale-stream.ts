import type { SaleSnapshotView as SaleSnapshot } from '../../src/contract/dashboard.ts';

export interface SaleStream {
  status: number;
  contentType: string | null;
  /** Every snapshot received so far, in order, with the time it arrived. */
  events: { at: number; snapshot: SaleSnapshot }[];
  /** Resolves with the first snapshot (already received or still to come) that satisfies `test`. */
  waitFor(test: (s: SaleSnapshot) => boolean, timeoutMs: number): Promise<SaleSnapshot>;
  /** Whether the server ended the stream. */
  ended: Promise<void>;
  close(): void;
}

/** GET /api/admin/dashboard/stream as a client would read it: fetch, then server-sent events. */
export async function openSaleStream(baseUrl: string, token: string): Promise<SaleStream> {
  const controller = new AbortController();
  const res = await fetch(`${baseUrl}/api/admin/dashboard/stream`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  const events: SaleStream['events'] = [];
  const listeners = new Set<() => void>();
  const ended = (async () => {
    if (!res.ok || !res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          if (/^event: sale$/m.test(block) && data) {
            events.push({ at: Date.now(), snapshot: JSON.parse(data) as SaleSnapshot });
            for (const l of listeners) l();
          }
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    events,
    ended,
    close: () => controller.abort(),
    waitFor(test, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = events.find((e) => test(e.snapshot));
          if (!hit) return false;
          clearTimeout(timer);
          listeners.delete(onEvent);
          resolve(hit.snapshot);
          return true;
        };
        const onEvent = () => void check();
        const timer = setTimeout(() => {
          listeners.delete(onEvent);
          const last = events[events.length - 1]?.snapshot;
          reject(new Error(`no snapshot matched within ${timeoutMs} ms; last: ${JSON.stringify(last)?.slice(0, 2000)}`));
        }, timeoutMs);
        if (!check()) listeners.add(onEvent);
      });
    },
  };
}
