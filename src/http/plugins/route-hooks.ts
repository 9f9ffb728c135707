import type { RouteOptions } from 'fastify';

/** Whether a route being added is one of `routes`, given as `METHOD /url` (e.g. `POST /api/holds`). */
export function isOneOf(route: RouteOptions, routes: ReadonlySet<string>): boolean {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  return methods.some((m) => routes.has(`${m} ${route.url}`));
}

/** Hooks of a route option as an array, whatever form the route declared them in. */
export const hookList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Adds problem responses to a route's documented responses, keeping what it declares. */
export function addResponses(route: RouteOptions, responses: Record<number, unknown>): void {
  const schema = (route.schema ??= {});
  schema.response = { ...(schema.response as Record<number, unknown> | undefined), ...responses };
}
