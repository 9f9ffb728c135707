/**
 * What an integrator's tools need from every operation of the OpenAPI document, beyond what
 * Redocly's ruleset checks: a name for generated methods, a declared security requirement, an
 * example for every request and response body, and for every /api operation a client error.
 * Each gap names the operation and the missing piece, and says where to add it.
 */
type Operation = {
  operationId?: string;
  security?: unknown[];
  requestBody?: { content?: Record<string, Media> };
  responses?: Record<string, { content?: Record<string, Media> }>;
};
type Media = { example?: unknown; examples?: unknown; schema?: { example?: unknown; examples?: unknown } };

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

const hasExample = (media: Media): boolean =>
  media.example !== undefined ||
  media.examples !== undefined ||
  media.schema?.example !== undefined ||
  media.schema?.examples !== undefined;

export function openapiGaps(document: { paths?: Record<string, Record<string, unknown>> }): string[] {
  const gaps: string[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method] as Operation | undefined;
      if (!op) continue;
      const where = `${method.toUpperCase()} ${path}`;
      if (!op.operationId) gaps.push(`${where}: no operationId (schema.operationId, a camelCase verb such as getProduct)`);
      if (!Array.isArray(op.security)) {
        gaps.push(`${where}: no security (schema.security: PUBLIC_SECURITY, ADMIN_SECURITY or WEBHOOK_SECURITY)`);
      }
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
        if (!hasExample(media)) gaps.push(`${where}: request body ${type} has no example (examples: [...] on its schema)`);
      }
      const statuses = Object.keys(op.responses ?? {});
      for (const status of statuses) {
        for (const [type, media] of Object.entries(op.responses?.[status]?.content ?? {})) {
          if (!hasExample(media))
            gaps.push(`${where}: response ${status} ${type} has no example (examples: [...] on its schema)`);
        }
      }
      if (path.startsWith('/api/') && !statuses.some((s) => /^4/.test(s))) {
        gaps.push(`${where}: no 4xx response (problems(400, ...) in schema.response)`);
      }
    }
  }
  return gaps;
}
