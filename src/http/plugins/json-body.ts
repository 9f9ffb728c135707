import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * JSON bodies parsed with Fastify's own safe parser (prototype poisoning is an error), keeping the
 * raw text for webhook signatures, which are computed over the exact bytes received.
 */
async function jsonBody(app: FastifyInstance): Promise<void> {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    // JSON is UTF-8 (RFC 8259); decoding invalid bytes would silently turn them into U+FFFD.
    if (!isUtf8(body as Buffer)) {
      done(Object.assign(new SyntaxError('The body is not valid UTF-8.'), { statusCode: 400 }), undefined);
      return;
    }
    const text = body.toString();
    request.rawBody = text;
    // Fastify's JSON parser answers through `done`; its type also allows a promise, which it never returns.
    void parse(request, text, done);
  });
}

/**
 * The same parser as a plain function of the text, throwing what it would answer through `done`:
 * for the hot lane (decision 29), which parses bodies before Fastify sees the request.
 */
export function jsonTextParser(app: FastifyInstance): (text: string) => unknown {
  const parse = app.getDefaultJsonParser('error', 'error');
  return (text) => {
    let result: { err: Error | null; value: unknown } | undefined;
    void parse(undefined as never, text, (err, value) => {
      result = { err, value };
    });
    if (!result) throw new Error('the JSON parser did not answer at once');
    if (result.err) throw result.err;
    return result.value;
  };
}

export default fp(jsonBody, { name: 'json-body' });
