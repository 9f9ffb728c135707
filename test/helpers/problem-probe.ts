import { expect } from 'vitest';
import { PROBLEM_BASE } from '../../src/http/problem-types.ts';
import type { TestService } from './service.ts';

// Stack frames, source paths and SQL are internal: no response may contain them.
const LEAKS =
  /\n\s+at |node_modules|\.ts:\d|\bselect\b.*\bfrom\b|\binsert into\b|\bupdate products\b|relation "|syntax error at/i;

const sentText = (path: string, body?: string | Buffer): string => {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // keep it encoded
  }
  return `${path} ${decoded} ${String(body ?? '')}`;
};

/** The problem without the strings the client sent itself: echoing a client's own SQL is no leak. */
function withoutEcho(value: unknown, sent: string): unknown {
  if (typeof value === 'string') {
    if (sent.includes(value) || sent.includes(JSON.stringify(value).slice(1, -1))) return '';
    return value.replace(/Hold (.*) does not exist\./s, (m, id: string) => (sent.includes(id) ? '' : m));
  }
  if (Array.isArray(value)) return value.map((v) => withoutEcho(v, sent));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutEcho(v, sent)]));
  return value;
}

/**
 * A function that sends exactly these bytes and headers (no defaults) and checks the answer is a
 * clean 4xx problem: problem+json, nosniff, a stable type, the status in the body, nothing internal.
 * It counts requests per kind in `tried` and returns the status.
 */
export function problemProbe(service: () => TestService, tried: Record<string, number>) {
  return async (
    kind: string,
    method: string,
    path: string,
    body?: string | Buffer,
    headers: Record<string, string> = {},
  ): Promise<number> => {
    const svc = service();
    tried[kind] = (tried[kind] ?? 0) + 1;
    // The dispatcher sends the path as given; `request(url)` would parse it as a URL first and
    // resolve `.`, `..` and `%2E` segments (`/api/products/.` became the list `/api/products/`).
    const res = await svc.agent.request({ origin: svc.url, path, method, headers, body });
    const text = await res.body.text();
    const context = `${kind}: ${method} ${path.slice(0, 200)} ${String(body ?? '').slice(0, 200)} -> ${res.statusCode} ${text.slice(0, 300)}`;
    expect(res.statusCode, context).toBeGreaterThanOrEqual(400);
    expect(res.statusCode, context).toBeLessThan(500);
    expect(res.headers['content-type'], context).toMatch(/^application\/problem\+json/);
    expect(res.headers['x-content-type-options'], context).toBe('nosniff');
    const problem = JSON.parse(text);
    expect(problem.status, context).toBe(res.statusCode);
    expect(problem.type, context).toMatch(new RegExp(`^${PROBLEM_BASE}[a-z-]+$`));
    expect(JSON.stringify(withoutEcho(problem, sentText(path, body))), context).not.toMatch(LEAKS);
    return res.statusCode;
  };
}
