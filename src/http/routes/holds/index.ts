import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { preHandlerHookHandler } from 'fastify';
import type { Static } from 'typebox';
import { getHold } from '../../../app/get-hold.ts';
import { knownRefusal, placeHold } from '../../../app/place-hold.ts';
import { releaseHold } from '../../../app/release-hold.ts';
import { holdView } from '../../../app/views.ts';
import { insufficientStock, type HoldLine, type LineShortfall } from '../../../domain/cart.ts';
import { holdNotFound } from '../../../domain/errors.ts';
import { PreparedProblems } from '../../plugins/problem.ts';
import { CUSTOMER_SECURITY, customerSource, resolveCustomer } from '../../plugins/customer-auth.ts';
import { problems, PUBLIC_SECURITY } from '../../schemas/common.ts';
import { Hold } from '../../../contract/holds.ts';
import { HoldParams, PlaceHoldBody } from '../../schemas/holds.ts';
import { isUuid } from '../../uuid.ts';
import { contextFor } from '../../request-context.ts';
import { bodyValidator } from '../../validation.ts';

type PlaceHoldRequest = Static<typeof PlaceHoldBody>;

const linesOf = (body: PlaceHoldRequest): HoldLine[] =>
  'items' in body
    ? body.items.map((l) => ({ productId: l.product_id, quantity: l.quantity }))
    : [{ productId: body.product_id, quantity: body.quantity }];

/** Names everything an insufficient-stock refusal says, so equal keys are equal documents. */
const refusalKey = (shortfalls: readonly LineShortfall[]): string =>
  shortfalls.map((s) => `${s.productId}:${s.requested}:${s.available}`).join(',');

const holds: FastifyPluginAsyncTypebox = async (app) => {
  const { ctx } = app.flashsale;
  // A sold-out storm answers the same refusal again and again: serialized once per product state.
  const refusals = new PreparedProblems();
  app.decorateRequest('customerId', null);
  // POST's first preHandler, before the Idempotency-Key claim the plugin adds: a refused token is never stored.
  const customer = resolveCustomer(customerSource(app.flashsale.customerJwtSecret));
  const settleCustomer: preHandlerHookHandler = (request, reply, done) => {
    const settled = customer(request, reply);
    // A promise only when a token has to be verified; otherwise the request goes on at once.
    // (Not returned: Fastify would then go on twice, once for the promise and once for done.)
    if (settled) void settled.then(() => done(), done);
    else done();
  };

  // The route's refusal from the hot lane, before the router, when memory alone decides it (decision 29).
  // Not with customer tokens or a rate limit: both need their own checks first, and only this route makes them.
  if (!app.flashsale.customerJwtSecret && !app.flashsale.holdRateLimit) {
    const { pulse } = app.flashsale;
    app.hotLane.post(
      '/api/holds',
      bodyValidator(PlaceHoldBody),
      (body, request) => {
        const hold = body as PlaceHoldRequest;
        const shortfalls = knownRefusal(ctx, { lines: linesOf(hold), customerId: hold.customer_id ?? null });
        return (
          shortfalls && refusals.answer(refusalKey(shortfalls), () => insufficientStock(shortfalls), request.url, request.id)
        );
      },
      pulse ? (status, ms) => pulse.holdAnswered(ms, status) : undefined,
    );
  }

  app.post(
    '/api/holds',
    {
      schema: {
        tags: ['holds'],
        operationId: 'placeHold',
        security: CUSTOMER_SECURITY,
        summary: 'Reserve stock of one product, or of every line of a cart, for a few minutes',
        description:
          'All or nothing: 409 insufficient-stock, listing in `lines` each line that does not fit, when any line would ' +
          'take available stock below zero, and nothing is reserved. 404 product-not-found names an unknown product; ' +
          '400 duplicate-product when a cart names a product twice; 400 currency-mismatch when its products are priced in different currencies. ' +
          "A product's rules apply to each line, in this order, and the first one any line breaks refuses the hold: its sale window " +
          '(409 sale-not-started with `starts_at` and `Retry-After`, 409 sale-ended), its limit per customer needing a customer ' +
          '(400 customer-required), the stock, then the limit (409 purchase-limit-exceeded with `limit`, `current`, `requested`). ' +
          'With CUSTOMER_JWT_SECRET set the customer is the `sub` of the bearer token (401 unauthorized without a valid one) ' +
          'and a body `customer_id` is 400.',
        body: PlaceHoldBody,
        response: { 201: Hold, ...problems(400, 401, 404, 409, 413, 415) },
      },
      preHandler: settleCustomer,
    },
    async (request, reply) => {
      const lines = linesOf(request.body);
      const outcome = await placeHold(contextFor(request), { lines, customerId: request.customerId });
      if (outcome.kind === 'short') {
        const { shortfalls } = outcome;
        return refusals.send(reply, refusalKey(shortfalls), () => insufficientStock(shortfalls));
      }
      const { hold } = outcome;
      return reply.code(201).header('location', `/api/holds/${hold.id}`).send(holdView(hold));
    },
  );

  const loadHold = async (holdId: string) => {
    if (!isUuid(holdId)) throw holdNotFound(holdId);
    return getHold(ctx, holdId);
  };

  app.get(
    '/api/holds/:hold_id',
    {
      schema: {
        tags: ['holds'],
        operationId: 'getHold',
        security: PUBLIC_SECURITY,
        summary: 'A hold with its current status',
        params: HoldParams,
        response: { 200: Hold, ...problems(400, 404) },
      },
    },
    async (request) => holdView(await loadHold(request.params.hold_id)),
  );

  app.delete(
    '/api/holds/:hold_id',
    {
      schema: {
        tags: ['holds'],
        operationId: 'releaseHold',
        security: PUBLIC_SECURITY,
        summary: 'Release an active hold early; its stock comes back',
        params: HoldParams,
        response: { 200: Hold, ...problems(400, 404, 409) },
      },
    },
    async (request) => {
      const { hold_id } = request.params;
      if (!isUuid(hold_id)) throw holdNotFound(hold_id);
      await releaseHold(contextFor(request), hold_id);
      return holdView(await loadHold(hold_id));
    },
  );
};

export default holds;
