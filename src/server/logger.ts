/** Log levels, most severe first. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Structured one-line-per-event logging. */
export interface Logger {
  /**
   * The most verbose level written, when known: work done only to log at a
   * level (timing each call for `debug`) is skipped above it. A logger
   * without it is given every event and filters them itself.
   */
  readonly level?: LogLevel;
  error(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  debug(event: string, fields?: Record<string, unknown>): void;
}

/** Whether `value` names a log level. */
export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * A logger that writes one JSON line per event to `sink` (stderr: stdout is
 * the protocol channel and never carries a log line). Events below `level`
 * cost one comparison.
 */
export function createLogger(level: LogLevel, sink: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const emit = (at: LogLevel) => (event: string, fields?: Record<string, unknown>) => {
    if (LOG_LEVELS.indexOf(at) > threshold) return;
    try {
      sink(JSON.stringify({ ts: new Date().toISOString(), level: at, event, ...fields }) + '\n');
    } catch {
      // A log line must never take the server down (stderr closed, unserializable field).
    }
  };
  return { level, error: emit('error'), warn: emit('warn'), info: emit('info'), debug: emit('debug') };
}

/** Whether `logger` writes events at `at` (true when it does not say). */
export function logsAt(logger: Logger, at: LogLevel): boolean {
  return logger.level === undefined || LOG_LEVELS.indexOf(at) <= LOG_LEVELS.indexOf(logger.level);
}

/** A logger that drops everything. */
export const silentLogger: Logger = createLogger('error', () => undefined);
