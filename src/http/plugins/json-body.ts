import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * JSON bodies parsed with Fastify's own safe parser (prototype poisoning is an error), keeping the
 * raw text for webhook signatures, which are computed over the exact bytes received.
 */
async function jsonBody(app: FastifyInstance): Promise<void> {
  const parse = jsonTextParser(app);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    // JSON is UTF-8 (RFC 8259); decoding invalid bytes would silently turn them into U+FFFD.
    if (!isUtf8(body as Buffer)) {
      done(Object.assign(new SyntaxError('The body is not valid UTF-8.'), { statusCode: 400 }), undefined);
      return;
    }
    const text = body.toString();
    request.rawBody = text;
    let value: unknown;
    try {
      value = parse(text);
    } catch (err) {
      done(err as Error, undefined);
      return;
    }
    done(null, value);
  });
}

/**
 * Fastify's safe JSON parser as a plain function of the text, throwing what it would answer
 * through `done`: the one parser of JSON bodies, for the content-type parser below and for the
 * hot lane (decision 29), which parses bodies before Fastify sees the request.
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
