import { isUtf8 } from 'node:buffer';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyInstance, preParsingHookHandler } from 'fastify';
import { requestId } from './plugins/request-id.ts';
import { SECURITY_HEADERS } from './plugins/security-headers.ts';
import { hookList } from './plugins/route-hooks.ts';

/** An answer the lane writes: the route's bytes, with the headers every answer of the service carries. */
export interface HotAnswer {
  status: number;
  contentType: string;
  body: string;
  /** Seconds, for answers that carry `Retry-After`. */
  retryAfter?: string | undefined;
}

/** Answers a GET of `prefix + rest` from memory, or undefined to leave it to the router. */
export type HotGet = (rest: string) => HotAnswer | undefined;
/** Answers a valid body from memory, or undefined to leave it to the router; `id` is the request's id. */
export type HotPost = (body: unknown, request: { id: string; url: string }) => HotAnswer | undefined;
/** Called once per answer the lane wrote, with the milliseconds since the request arrived. */
export type HotAnswered = (status: number, ms: number) => void;

interface GetRoute {
  prefix: string;
  answer: HotGet;
  answered: HotAnswered[];
}
interface PostRoute {
  validate: (body: unknown) => boolean;
  answer: HotPost;
  answered: HotAnswered[];
}

/** A body the lane read but left to the router: Fastify parses it again from these bytes. */
const replays = new WeakMap<IncomingMessage, Buffer>();

const SECURITY_HEADER_LIST = Object.entries(SECURITY_HEADERS).flat();
// Bodies the lane reads itself: small JSON documents; anything else goes to the router unread.
const MAX_HOT_BODY = 4_096;
const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8']);

/**
 * The hot lane (decision 29): the answers a storm repeats thousands of times a second (a sold-out
 * refusal, a product read) written from memory before Fastify's router, with the bytes and headers
 * the route itself writes. Each route registers what it can answer this way and records each
 * answer in the same metrics; whatever it cannot answer from memory at once (a request with an
 * `Idempotency-Key`, a body that does not validate, a product not in memory, a grant) goes to
 * Fastify unchanged, a body it read included. The lane steps aside while the service closes and
 * while request lines are logged (level info or lower), which only Fastify writes.
 *
 * It holds only the request's framing: which requests it may answer, reading and parsing a small
 * JSON body, writing the answer. What an answer says comes from the route's own code and caches.
 */
export class HotLane {
  private readonly gets: GetRoute[] = [];
  private readonly posts = new Map<string, PostRoute>();
  /** POST routes Fastify already has: a hot answer registered after its route would get no replay hook. */
  private readonly routedPosts = new Set<string>();
  private closed = false;
  /** True while the lane must leave every request to Fastify: closing, or request lines being logged. */
  private stepsAside: () => boolean = () => this.closed;
  private parseJson: (text: string) => unknown = (text) => JSON.parse(text);
  private timerFor: ((route: string) => (method: string, statusCode: number, seconds: number) => void) | undefined;
  /** Answers written by the lane, per route pattern (`GET /api/products/:id`): for tests and the docs. */
  readonly answers = new Map<string, number>();

  constructor(private readonly enabled: boolean) {}

  /** Wires the lane to its app: the logger's level, the JSON parser, request timing, closing, and the body replays. */
  attach(app: FastifyInstance, parseJson: (text: string) => unknown): void {
    const exporter = app.flashsale.metrics;
    this.timerFor = exporter && ((route) => exporter.requestTimer(route));
    const log = app.log as { isLevelEnabled?: (level: string) => boolean };
    // From the shutdown signal on, Fastify's graceful close answers with `Connection: close`.
    this.stepsAside = () => this.closed || app.shuttingDown || (log.isLevelEnabled?.('info') ?? false);
    this.parseJson = parseJson;
    app.addHook('preClose', (done) => {
      this.closed = true;
      done();
    });
    const replay: preParsingHookHandler = (request, _reply, payload, done) => {
      const bytes = replays.get(request.raw);
      if (bytes === undefined) return done(null, payload);
      replays.delete(request.raw);
      done(null, Readable.from([bytes]));
    };
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (!methods.includes('POST')) return;
      this.routedPosts.add(route.url);
      if (this.posts.has(route.url)) route.preParsing = [...hookList(route.preParsing), replay] as typeof route.preParsing;
    });
  }

  /** GET `prefix` + a rest without `/` or `?` (e.g. `/api/products/` + `42`). */
  get(pattern: string, prefix: string, answer: HotGet, answered?: HotAnswered): void {
    if (!this.enabled) return;
    this.gets.push({ prefix, answer, answered: this.recorders('GET', pattern, answered) });
  }

  /** POST `url` with a small JSON body that `validate` (the route's own body validator) accepts. */
  post(url: string, validate: (body: unknown) => boolean, answer: HotPost, answered?: HotAnswered): void {
    if (this.routedPosts.has(url)) throw new Error(`the hot answer of POST ${url} must be registered before its route`);
    if (!this.enabled) return;
    this.posts.set(url, { validate, answer, answered: this.recorders('POST', url, answered) });
  }

  /** The HTTP server Fastify serves on (its `serverFactory`), with the lane in front of its handler. */
  server(handler: (req: IncomingMessage, res: ServerResponse) => void, limits: ServerLimits): Server {
    const server = createServer((req, res) => {
      if (this.enabled && !this.stepsAside()) this.route(req, res, handler);
      else handler(req, res);
    });
    server.keepAliveTimeout = limits.keepAliveTimeout;
    server.requestTimeout = limits.requestTimeout;
    server.setTimeout(limits.connectionTimeout);
    return server;
  }

  private route(req: IncomingMessage, res: ServerResponse, handler: (req: IncomingMessage, res: ServerResponse) => void): void {
    const started = performance.now();
    const { method, url = '' } = req;
    if (method === 'GET') {
      for (const r of this.gets) {
        if (!url.startsWith(r.prefix)) continue;
        const rest = url.slice(r.prefix.length);
        if (rest.includes('/') || rest.includes('?')) break;
        const answer = r.answer(rest);
        if (answer) return this.write(res, requestId(req), answer, r.answered, started);
        break;
      }
      return handler(req, res);
    }
    const post = method === 'POST' ? this.posts.get(url) : undefined;
    if (!post || !this.readable(req)) return handler(req, res);

    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => {
      const bytes = Buffer.concat(chunks);
      const id = requestId(req);
      const answer = this.answerPost(post, bytes, { id, url });
      if (answer) return this.write(res, id, answer, post.answered, started);
      replays.set(req, bytes);
      handler(req, res);
    });
  }

  /** A body the lane may read: small, JSON, whole (no chunked encoding, no `Expect`, no Idempotency-Key). */
  private readable(req: IncomingMessage): boolean {
    const h = req.headers;
    const type = h['content-type'];
    const length = Number(h['content-length']);
    return (
      type !== undefined &&
      JSON_TYPES.has(type.toLowerCase()) &&
      length > 0 &&
      length <= MAX_HOT_BODY &&
      h['transfer-encoding'] === undefined &&
      h['content-encoding'] === undefined &&
      h.expect === undefined &&
      h['idempotency-key'] === undefined
    );
  }

  private answerPost(post: PostRoute, bytes: Buffer, request: { id: string; url: string }): HotAnswer | undefined {
    if (!isUtf8(bytes)) return undefined;
    let body: unknown;
    try {
      body = this.parseJson(bytes.toString());
    } catch {
      return undefined;
    }
    return post.validate(body) ? post.answer(body, request) : undefined;
  }

  private write(res: ServerResponse, id: string, answer: HotAnswer, answered: HotAnswered[], started: number): void {
    const headers: string[] = ['x-request-id', id, ...SECURITY_HEADER_LIST];
    if (answer.retryAfter !== undefined) headers.push('retry-after', answer.retryAfter);
    headers.push('content-type', answer.contentType, 'content-length', String(Buffer.byteLength(answer.body)));
    res.writeHead(answer.status, headers);
    res.end(answer.body);
    const ms = performance.now() - started;
    for (const a of answered) a(answer.status, ms);
  }

  /** What each answer on a route records: the lane's count, the request latency metric (as Fastify's route would), the route's own. */
  private recorders(method: string, pattern: string, answered: HotAnswered | undefined): HotAnswered[] {
    const name = `${method} ${pattern}`;
    const list: HotAnswered[] = [() => this.answers.set(name, (this.answers.get(name) ?? 0) + 1)];
    const timer = this.timerFor?.(pattern);
    if (timer) list.push((status, ms) => timer(method, status, ms / 1000));
    if (answered) list.push(answered);
    return list;
  }
}

export interface ServerLimits {
  keepAliveTimeout: number;
  requestTimeout: number;
  connectionTimeout: number;
}
