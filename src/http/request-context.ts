import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../app/ports.ts';

/**
 * The use-case context for one request: the application's, with the request's own logger, so
 * every line a use case logs while serving it carries its request id (decision 8).
 */
export const contextFor = (request: FastifyRequest): AppContext => ({ ...request.server.flashsale.ctx, log: request.log });
