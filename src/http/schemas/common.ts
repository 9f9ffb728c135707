import { Type } from 'typebox';

/** RFC 9457 problem document, as every error response of this API is. */
export const Problem = Type.Object(
  {
    type: Type.String({
      format: 'uri-reference',
      description: 'The problem type: a path on this service (`/problems/<slug>`) that answers a page about it.',
    }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    request_id: Type.Optional(Type.String()),
    code: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ location: Type.String(), pointer: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true, description: 'An RFC 9457 problem document (application/problem+json).' },
);

// A typical problem of each status, as the examples of the documented error responses.
const PROBLEM_EXAMPLES: Record<number, Record<string, unknown>> = {
  400: {
    type: '/problems/validation-error',
    title: 'Request is not valid',
    status: 400,
    detail: 'body /quantity must be >= 1',
    errors: [{ location: 'body', pointer: '/quantity', message: 'must be >= 1' }],
  },
  401: { type: '/problems/unauthorized', title: 'Missing or invalid credentials', status: 401 },
  403: { type: '/problems/admin-disabled', title: 'The admin API is disabled', status: 403 },
  404: { type: '/problems/product-not-found', title: 'Product not found', status: 404, code: 'PRODUCT.NOT_FOUND' },
  409: {
    type: '/problems/insufficient-stock',
    title: 'Not enough stock',
    status: 409,
    detail: 'Only 0 left of product 1; 1 requested.',
    code: 'STOCK.INSUFFICIENT',
  },
  413: { type: '/problems/payload-too-large', title: 'Body is too large', status: 413 },
  415: { type: '/problems/unsupported-media-type', title: 'Content type is not supported', status: 415 },
  422: {
    type: '/problems/idempotency-key-reused',
    title: 'Idempotency key was used with a different payload',
    status: 422,
    code: 'IDEMPOTENCY.KEY_REUSED',
  },
  429: { type: '/problems/rate-limited', title: 'Too many requests', status: 429 },
  503: { type: '/problems/service-unavailable', title: 'Service temporarily unavailable', status: 503 },
};

/** An error response: a problem document with its own content type, and an example. */
export interface ProblemResponse {
  description: string;
  content: { 'application/problem+json': { schema: typeof Problem } };
}

/** Problem responses for the given statuses, each with an example, for a route's `response` schema. */
export const problems = (...statuses: number[]): Record<number, ProblemResponse> =>
  Object.fromEntries(
    statuses.map((s) => {
      const example = PROBLEM_EXAMPLES[s] ?? { type: '/problems/bad-request', title: 'Bad request', status: s };
      const sample = { ...example, instance: '/api/holds', request_id: 'b7f4c2a1-0d3e-4c55-9a4e-2f1f6b9d8c70' };
      const schema = { ...Problem, examples: [sample] };
      return [
        s,
        {
          description: `A problem document (RFC 9457): ${String(example['type'])}`,
          content: { 'application/problem+json': { schema } },
        },
      ];
    }),
  );

/** Who may call an operation, as OpenAPI security requirements: anyone. */
export const PUBLIC_SECURITY: Record<string, string[]>[] = [];

/** A `text/html` response with an example, for the pages the service serves. */
export const htmlResponse = (description: string, example: string) => ({
  description,
  content: { 'text/html': { schema: Type.String({ examples: [example] }) } },
});

/** `limit` and `offset` of a paged list. */
export const PageQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
});
