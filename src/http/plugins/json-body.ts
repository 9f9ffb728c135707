import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * JSON bodies parsed with Fastify's own safe parser (prototype poisoning is an error), keeping the
 * raw text for webhook signatures, which are computed over the exact bytes received.
 */
async function jsonBody(app: FastifyInstance): Promise<void> {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    request.rawBody = text;
    parse(request, text, done);
  });
}

export default fp(jsonBody, { name: 'json-body' });
