import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level } from 'pino';

type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>;
type LevelChecking = FastifyBaseLogger & { isLevelEnabled(level: string): boolean };

/**
 * A request's logger that makes its child logger (the one that adds `reqId`) only when a line is
 * written at an enabled level. Most requests log nothing at the service's level (warn in
 * production), yet a pino child per request is made eagerly otherwise (decision 26). A line it
 * writes is the line the child would have written. Methods live on the prototype, so a request
 * costs one small object.
 */
class RequestLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: LevelChecking,
    private readonly bindings: Bindings,
  ) {}

  private get logger(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings));
  }

  private write(level: Level, args: unknown[]): void {
    const target = this.made ?? (this.parent.isLevelEnabled(level) ? this.logger : undefined);
    if (target) Reflect.apply(target[level], target, args);
  }

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }
  set level(level: string) {
    this.logger.level = level;
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }
}

const checksLevels = (logger: FastifyBaseLogger): logger is LevelChecking =>
  typeof (logger as { isLevelEnabled?: unknown }).isLevelEnabled === 'function';

/**
 * Fastify's `childLoggerFactory`: a lazy request logger, unless the route sets its own level or
 * serializers (none does today) or the logger cannot say which levels it writes.
 */
export const lazyRequestLogger: ChildLoggerFactory = function (logger, bindings, opts) {
  if (opts.level !== undefined || opts.serializers !== undefined || !checksLevels(logger)) return logger.child(bindings, opts);
  return new RequestLogger(logger, bindings);
};
