import type { FastifyInstance, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';

/** What the schema check needs to know of a route. */
export interface RouteSummary {
  method: string;
  url: string;
  schema: Record<string, unknown> | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeSummaries: RouteSummary[];
  }
}

// Only the documentation's own routes may stay out of the OpenAPI document.
const DOCUMENTATION = /^\/(docs(\/|$)|openapi\.json$)/;
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Why a route's schema is incomplete: every route declares its responses (a 2xx at least), its
 * path parameters, and its body when the method has one. The OpenAPI document, and the validation
 * of what comes in and goes out, are only as complete as these schemas.
 */
export function missingSchemas(routes: RouteSummary[]): string[] {
  const problems: string[] = [];
  for (const { method, url, schema } of routes) {
    if (method === 'HEAD' || DOCUMENTATION.test(url)) continue;
    const route = `${method} ${url}`;
    if (!schema) {
      problems.push(`${route}: no schema`);
      continue;
    }
    if (schema['hide']) problems.push(`${route}: hidden from the OpenAPI document`);
    const response = schema['response'] as Record<string, unknown> | undefined;
    if (!response || !Object.keys(response).some((status) => /^2(\d\d|xx)$/.test(status))) {
      problems.push(`${route}: no 2xx response schema`);
    }
    const names = [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] ?? '');
    const declared = Object.keys((schema['params'] as { properties?: object } | undefined)?.properties ?? {});
    for (const name of names) if (!declared.includes(name)) problems.push(`${route}: path parameter ${name} has no schema`);
    if (url.includes('*')) problems.push(`${route}: wildcard route`);
    if (WITH_BODY.has(method) && !schema['body']) problems.push(`${route}: no body schema`);
  }
  return problems;
}

/** Records every route as it is added, for the schema check (see test/http/openapi.test.ts). */
async function routeSchemas(app: FastifyInstance): Promise<void> {
  app.decorate('routeSummaries', [] as RouteSummary[]);
  app.addHook('onRoute', (route: RouteOptions) => {
    for (const method of [route.method].flat()) {
      app.routeSummaries.push({ method, url: route.url, schema: route.schema as Record<string, unknown> | undefined });
    }
  });
}

export default fp(routeSchemas, { name: 'route-schemas' });
