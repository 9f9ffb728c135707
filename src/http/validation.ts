import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// Bodies are JSON: a string where a number belongs is an error, never silently converted.
// Path and query parameters are always strings, so those are converted to the declared type.
const base: Options = { allErrors: false, useDefaults: true, removeAdditional: false, strict: false };
const strict = addFormats.default(new Ajv({ ...base, coerceTypes: false }));
const coercing = addFormats.default(new Ajv({ ...base, coerceTypes: 'array' }));

export const schemaValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? strict : coercing).compile(schema as object);

/** The validator Fastify uses for a body of this schema, for code that checks a body outside a route (decision 29). */
export const bodyValidator = (schema: object): ((body: unknown) => boolean) => {
  const validate = strict.compile(schema);
  return (body) => validate(body);
};
