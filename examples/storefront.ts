/**
 * A storefront backend: the server a shop's pages call, which talks to flashsale through the
 * typed client. It shows a product, checks out (a hold, then an order) and reports an order's
 * payment; flashsale's problems (sold out, expired hold, bad input) are passed on as they are.
 *
 *   npm start                                   # flashsale, the embedded default, on :3000
 *   node --import tsx examples/storefront.ts    # this backend on :4000 (STOREFRONT_PORT, FLASHSALE_URL)
 *   curl -s -X POST localhost:4000/checkout -H 'content-type: application/json' -d '{"product_id":1,"quantity":1}'
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createClient, type FlashsaleClient } from 'flashsale/client';

type Answer = { status: number; body: unknown; type?: string };

const send = (res: ServerResponse, { status, body, type = 'application/json' }: Answer): void => {
  res.writeHead(status, { 'content-type': type }).end(JSON.stringify(body));
};

/** A call that did not succeed: flashsale's problem document, passed on with its status. */
const problem = (result: { error?: unknown; response: Response }): Answer => ({
  status: result.response.status,
  body: result.error,
  type: 'application/problem+json',
});

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return JSON.parse(text || 'null');
}

export async function route(api: FlashsaleClient, method: string, path: string, body: () => Promise<unknown>): Promise<Answer> {
  const product = /^\/products\/(\d+)$/.exec(path);
  if (method === 'GET' && product) {
    const result = await api.GET('/api/products/{id}', { params: { path: { id: Number(product[1]) } } });
    if (!result.data) return problem(result);
    const { id, name, price, currency, available_stock } = result.data;
    return { status: 200, body: { id, name, price, currency, in_stock: available_stock > 0 } };
  }
  if (method === 'POST' && path === '/checkout') {
    const { product_id, quantity } = (await body()) as { product_id: number; quantity: number };
    const held = await api.POST('/api/holds', { body: { product_id, quantity } });
    if (!held.data) return problem(held);
    const ordered = await api.POST('/api/orders', { body: { hold_id: held.data.hold_id } });
    if (!ordered.data) return problem(ordered);
    const { order_id, amount, currency, payment_status } = ordered.data;
    return { status: 201, body: { order_id, amount, currency, payment_status } };
  }
  const order = /^\/orders\/(\d+)$/.exec(path);
  if (method === 'GET' && order) {
    const result = await api.GET('/api/orders/{order_id}', { params: { path: { order_id: Number(order[1]) } } });
    if (!result.data) return problem(result);
    const { order_id, amount, currency, payment_status } = result.data;
    return { status: 200, body: { order_id, amount, currency, payment_status } };
  }
  return { status: 404, body: { error: `no route ${method} ${path}` } };
}

/** The storefront's HTTP server, calling flashsale at `flashsaleUrl`. */
export function createStorefront(flashsaleUrl: string): Server {
  const api = createClient({ baseUrl: flashsaleUrl });
  return createServer((req, res) => {
    route(api, req.method ?? 'GET', (req.url ?? '/').split('?')[0] ?? '/', () => readJson(req)).then(
      (answer) => send(res, answer),
      (err: Error) => send(res, { status: 502, body: { error: `flashsale did not answer: ${err.message}` } }),
    );
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const flashsaleUrl = process.env['FLASHSALE_URL'] ?? 'http://localhost:3000';
  const port = Number(process.env['STOREFRONT_PORT'] ?? 4000);
  createStorefront(flashsaleUrl).listen(port, () => console.log(`storefront on :${port}, flashsale at ${flashsaleUrl}`));
}
