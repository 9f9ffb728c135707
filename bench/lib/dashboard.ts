/** An open dashboard, as the page holds it: GET /api/admin/dashboard/stream read with fetch. */
export interface OpenDashboard {
  /** `sale` events received so far. */
  events(): number;
  close(): Promise<void>;
}

export async function openDashboard(baseUrl: string, token: string): Promise<OpenDashboard> {
  const controller = new AbortController();
  const res = await fetch(`${baseUrl}/api/admin/dashboard/stream`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  if (res.status !== 200 || !res.body) throw new Error(`dashboard stream answered ${res.status}`);
  let events = 0;
  const reading = (async () => {
    const decoder = new TextDecoder();
    try {
      // Parsed like the page does, so that the client's own cost is in the measurement too.
      let buffer = '';
      for await (const chunk of res.body!) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const data = /^data: (.*)$/m.exec(buffer.slice(0, end))?.[1];
          buffer = buffer.slice(end + 2);
          if (data) {
            JSON.parse(data);
            events++;
          }
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    events: () => events,
    async close() {
      controller.abort();
      await reading;
    },
  };
}

/** Runs `measure` with a dashboard open on `baseUrl` the whole time; notes how many events it got. */
export async function withDashboardOpen<M extends { note?: string | undefined }>(
  baseUrl: string,
  token: string,
  measure: () => Promise<M>,
): Promise<M> {
  const dashboard = await openDashboard(baseUrl, token);
  try {
    const result = await measure();
    const events = dashboard.events();
    return { ...result, note: [result.note, `${events} dashboard events`].filter(Boolean).join(' ') };
  } finally {
    await dashboard.close();
  }
}
