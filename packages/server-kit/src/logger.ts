/**
 * Service logging (pino): JSON lines in production, a readable pretty stream in a terminal.
 * `FDO_LOG_FORMAT=json|pretty` overrides the choice; `FDO_LOG_LEVEL` sets the level (both are in every
 * service's configuration schema, `loggingSettings`).
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ChildLoggerOptions, LoggerOptions } from 'pino';

export interface LogSettings {
  /** pino level; default `FDO_LOG_LEVEL` or info. */
  level?: string;
  /** Default `FDO_LOG_FORMAT`, else pretty in a terminal and JSON otherwise. */
  format?: 'json' | 'pretty' | null;
}

export function loggerOptions(
  service: string,
  env: NodeJS.ProcessEnv = process.env,
  settings: LogSettings = {},
): LoggerOptions {
  const format = settings.format ?? env.FDO_LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json');
  const options: LoggerOptions = {
    name: service,
    level: settings.level ?? env.FDO_LOG_LEVEL ?? 'info',
    // Secrets never reach a log line, whatever a handler passes in.
    redact: { paths: ['req.headers.authorization', '*.privateKey', '*.hmacSecret', '*.secret'], censor: '[redacted]' },
  };
  if (format === 'pretty') {
    options.transport = { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } };
  }
  return options;
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type LevelCheck = { isLevelEnabled?(level: string): boolean };

/**
 * The request's logger (`request.log`, with its `reqId`), made on its first line. Fastify makes a pino
 * child per request, which costs more than the rest of what server-kit does per message; most requests
 * log nothing above the configured level, so the child is only made for a line that will be written (or
 * when something asks for the logger's own features: `child`, a level change). One object per request,
 * its methods on the prototype.
 */
class LazyRequestLogger {
  #child: FastifyBaseLogger | undefined;
  readonly #parent: FastifyBaseLogger & Required<LevelCheck>;
  readonly #bindings: Record<string, unknown>;
  readonly #options: ChildLoggerOptions;

  constructor(
    parent: FastifyBaseLogger & Required<LevelCheck>,
    bindings: Record<string, unknown>,
    options: ChildLoggerOptions,
  ) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #real(): FastifyBaseLogger {
    return (this.#child ??= this.#parent.child(this.#bindings, this.#options));
  }

  #log(level: Level, args: unknown[]): void {
    if (this.#child === undefined && !this.#parent.isLevelEnabled(level)) return;
    (this.#real()[level] as (...a: unknown[]) => void)(...args);
  }

  get level(): string {
    return this.#child?.level ?? this.#parent.level;
  }

  set level(level: string) {
    this.#real().level = level;
  }

  isLevelEnabled(level: string): boolean {
    return this.#child === undefined
      ? this.#parent.isLevelEnabled(level)
      : ((this.#child as LevelCheck).isLevelEnabled?.(level) ?? true);
  }

  fatal(...args: unknown[]): void {
    this.#log('fatal', args);
  }
  error(...args: unknown[]): void {
    this.#log('error', args);
  }
  warn(...args: unknown[]): void {
    this.#log('warn', args);
  }
  info(...args: unknown[]): void {
    this.#log('info', args);
  }
  debug(...args: unknown[]): void {
    this.#log('debug', args);
  }
  trace(...args: unknown[]): void {
    this.#log('trace', args);
  }
  silent(): void {}

  child(bindings: Record<string, unknown>, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: a {@link LazyRequestLogger} unless the route has its own level. */
export function lazyRequestLogger(
  parent: FastifyBaseLogger,
  bindings: Record<string, unknown>,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  const checks = typeof (parent as LevelCheck).isLevelEnabled === 'function';
  if (options.level !== undefined || !checks) return parent.child(bindings, options);
  return new LazyRequestLogger(
    parent as FastifyBaseLogger & Required<LevelCheck>,
    bindings,
    options,
  ) as unknown as FastifyBaseLogger;
}
