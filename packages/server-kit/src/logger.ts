/**
 * Service logging (pino): JSON lines in production, a readable pretty stream in a terminal.
 * `FDO_LOG_FORMAT=json|pretty` overrides the choice; `FDO_LOG_LEVEL` sets the level (both are in every
 * service's configuration schema, `loggingSettings`).
 */
import type { LoggerOptions } from 'pino';

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
