import http from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { HTTP_PROBLEMS, PROBLEM_BASE, type ProblemKind } from '../problem-types.ts';
import { PROBLEM_CONTENT_TYPE, sendProblem } from './problem.ts';

// These answers are sent before any hook runs, so the security headers plugin's are not on them: the essentials here.
const BARE_SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

/**
 * Errors Fastify raises before a request reaches a route (a URL that cannot be decoded, a path
 * parameter past its length limit): answered as problem documents like every other error.
 */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  reply.headers(BARE_SECURITY_HEADERS);
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    sendProblem(reply, HTTP_PROBLEMS.uriTooLong, 'A path segment of this URL is longer than any resource id.');
    return;
  }
  if (err.code === 'FST_ERR_BAD_URL') {
    sendProblem(reply, HTTP_PROBLEMS.badRequest, 'The URL is not valid (a malformed percent-encoding).');
    return;
  }
  sendProblem(reply, HTTP_PROBLEMS.badRequest, 'The request could not be routed.');
}

const CLIENT_ERRORS: Record<string, ProblemKind> = {
  ERR_HTTP_REQUEST_TIMEOUT: HTTP_PROBLEMS.requestTimeout,
  HPE_HEADER_OVERFLOW: HTTP_PROBLEMS.headersTooLarge,
};

/**
 * Requests Node's HTTP parser refuses (headers or URL over 16 KiB, broken framing) never become a
 * Fastify request; this writes their problem document straight to the socket, then closes it.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const kind = (err.code && CLIENT_ERRORS[err.code]) || HTTP_PROBLEMS.badRequest;
  const body = JSON.stringify({
    type: PROBLEM_BASE + kind.slug,
    title: kind.title,
    status: kind.status,
    detail: kind === HTTP_PROBLEMS.badRequest ? 'The request is not valid HTTP.' : undefined,
  });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${kind.status} ${http.STATUS_CODES[kind.status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n` +
        Object.entries(BARE_SECURITY_HEADERS)
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join('') +
        `\r\n${body}`,
    );
  }
  socket.destroy(err);
}
