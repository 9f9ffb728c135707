/**
 * The typed client of the flashsale API: openapi-fetch over the types that openapi-typescript
 * generates from the OpenAPI document (`npm run generate:client` writes ./schema.ts; a test fails
 * when it no longer matches the routes). Every call answers `{ data, error, response }`: `data`
 * on success, `error` the problem document (RFC 9457) otherwise.
 *
 *   import { createClient } from 'flashsale/client';
 *   const api = createClient({ baseUrl: 'http://localhost:3000' });
 *   const { data: hold, error } = await api.POST('/api/holds', { body: { product_id: 1, quantity: 2 } });
 */
import createFetchClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { operations, paths } from './schema.ts';

export type { operations, paths };

/** A client of the whole API, each path and method typed from the spec. */
export type FlashsaleClient = Client<paths>;

/** `baseUrl` is where the service listens (`npm start`: http://localhost:3000). */
export function createClient(options: ClientOptions & { baseUrl: string }): FlashsaleClient {
  return createFetchClient<paths>(options);
}

type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : never;
type Success<Op extends keyof operations, Status extends keyof operations[Op]['responses']> = JsonOf<
  operations[Op]['responses'][Status]
>;

export type Product = Success<'getProduct', 200>;
export type Hold = Success<'getHold', 200>;
export type Order = Success<'getOrder', 200>;
export type PaymentWebhook = NonNullable<operations['receivePaymentWebhook']['requestBody']>['content']['application/json'];
/** The problem document of every error response. */
export type Problem = operations['getProduct']['responses'][404]['content']['application/problem+json'];
