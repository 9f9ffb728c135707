import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { HTTP_PROBLEMS } from '../../problem-types.ts';
import { sendProblem } from '../../plugins/problem.ts';
import { htmlResponse, problems, PUBLIC_SECURITY } from '../../schemas/common.ts';
import { problemIndexPage, problemKinds, problemPage } from './pages.ts';
import { present } from '../../../domain/present.ts';

/**
 * The problem types as pages: each `type` of a problem document (`/problems/<slug>`) resolves
 * against the API's URL to a short page saying what it means. docs/errors.md is the full index.
 */
const problemPages: FastifyPluginAsyncTypebox = async (app) => {
  const kinds = problemKinds();
  const index = problemIndexPage(kinds);
  const insufficientStock = present(kinds.get('insufficient-stock'), 'problem page insufficient-stock');

  app.get(
    '/problems',
    {
      schema: {
        tags: ['problems'],
        operationId: 'listProblemTypes',
        security: PUBLIC_SECURITY,
        summary: 'Every problem type, linked to its page',
        response: { 200: htmlResponse('The list of problem types', index) },
      },
    },
    async (_request, reply) => reply.type('text/html; charset=utf-8').send(index),
  );

  app.get(
    '/problems/:slug',
    {
      schema: {
        tags: ['problems'],
        operationId: 'getProblemType',
        security: PUBLIC_SECURITY,
        summary: 'What a problem type means, for humans',
        params: Type.Object({ slug: Type.String({ minLength: 1, maxLength: 64, examples: ['insufficient-stock'] }) }),
        response: {
          200: htmlResponse('A short page about the problem type', problemPage(insufficientStock)),
          ...problems(404),
        },
      },
    },
    async (request, reply) => {
      const kind = kinds.get(request.params.slug);
      if (!kind) return sendProblem(reply, HTTP_PROBLEMS.notFound, `No problem type ${request.params.slug}.`);
      return reply.type('text/html; charset=utf-8').send(problemPage(kind));
    },
  );
};

export default problemPages;
