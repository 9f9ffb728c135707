/**
 * The baselines the service is measured against: bare Fastify routes doing one Redis command each,
 * with no validation plugin, no problem documents and no logging. What the service does on top of
 * this is its own overhead. Plain JavaScript, run by node like the compiled service.
 *   POST /bare/hold        {product_id, quantity}: one EVALSHA comparing with the stock key; 409 when it does not fit
 *   GET  /bare/stock/:id   one GET of the stock key
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { Redis } from 'ioredis';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/8');
const prefix = process.env.REDIS_PREFIX ?? '';
const sha = await redis.script('LOAD', readFileSync(new URL('./compare-stock-1.lua', import.meta.url), 'utf8'));
const app = Fastify({ logger: false });

app.post('/bare/hold', async (request, reply) => {
  const { product_id, quantity } = request.body;
  const stock = await redis.evalsha(sha, 1, `${prefix}product:${product_id}:stock`, quantity);
  if (stock < 0) return reply.code(409).send({ detail: 'insufficient stock' });
  return reply.code(200).send({ available: stock });
});

app.get('/bare/stock/:id', async (request) => {
  const value = await redis.get(`${prefix}product:${request.params.id}:stock`);
  return { id: Number(request.params.id), available_stock: Number(value) };
});

app.get('/ready', async () => ({ ok: true }));

const close = async () => {
  await app.close();
  redis.disconnect();
  process.exit(0);
};
process.on('SIGTERM', () => void close());
await app.listen({ port: Number(process.env.PORT ?? 3401), host: '127.0.0.1' });
