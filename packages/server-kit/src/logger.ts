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
type LogFn = (...args: unknown[]) => void;
type RequestLogger = FastifyBaseLogger & { isLevelEnabled?(level: string): boolean };

/**
 * The request's logger (`request.log`, with its `reqId`), made on its first line. Fastify makes a pino
 * child per request, which costs more than the rest of what server-kit does per message; most requests
 * log nothing above the configured level, so the child is only made for a line that will be written (or
 * when something asks for the logger's own features: `child`, a level change).
 */
export function lazyRequestLogger(
  parent: FastifyBaseLogger,
  bindings: Record<string, unknown>,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  const enabled = (parent as RequestLogger).isLevelEnabled?.bind(parent);
  // A route's own level, or a logger without level checks: no shortcut.
  if (options.level !== undefined || enabled === undefined) return parent.child(bindings, options);
  let child: FastifyBaseLogger | undefined;
  const real = () => (child ??= parent.child(bindings, options));
  const method =
    (level: Level): LogFn =>
    (...args) => {
      if (child !== undefined || enabled(level)) (real()[level] as LogFn)(...args);
    };
  return {
    get level() {
      return child?.level ?? parent.level;
    },
    set level(level: string) {
      real().level = level;
    },
    fatal: method('fatal'),
    error: method('error'),
    warn: method('warn'),
    info: method('info'),
    debug: method('debug'),
    trace: method('trace'),
    silent: () => {},
    child: (b, o) => real().child(b, o),
    isLevelEnabled: (level: string) =>
      child === undefined ? enabled(level) : (child as RequestLogger).isLevelEnabled!(level),
  } as RequestLogger as FastifyBaseLogger;
}
