import type { LogLevel } from '@nestjs/common';

/** Nest's levels, most verbose first. */
export const LOG_LEVELS = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'] as const;

export interface LogSettings {
  /** The least severe level written; everything above it is written too. */
  readonly level: LogLevel;
  /** `json`: one JSON object a line (the default). `text`: Nest's pretty lines, for a terminal. */
  readonly format: 'json' | 'text';
}

type Env = Record<string, string | undefined>;

/**
 * `LOG_LEVEL` (`verbose`, `debug`, `log` or its alias `info`, `warn`, `error`, `fatal`; `log` by
 * default) and `LOG_FORMAT` (`json` by default, or `text`); a TypeError naming the variable.
 */
export function loadLogSettings(env: Env, service: string): LogSettings {
  const rawLevel = (env.LOG_LEVEL ?? '').trim().toLowerCase();
  const level = rawLevel === '' ? 'log' : rawLevel === 'info' ? 'log' : rawLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new TypeError(
      `${service}: environment variable LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${env.LOG_LEVEL}")`,
    );
  }
  const format = (env.LOG_FORMAT ?? '').trim().toLowerCase() || 'json';
  if (format !== 'json' && format !== 'text') {
    throw new TypeError(
      `${service}: environment variable LOG_FORMAT must be json or text (got "${env.LOG_FORMAT}")`,
    );
  }
  return { level: level as LogLevel, format };
}

/** `level` and every more severe level. */
export function levelsFrom(level: LogLevel): LogLevel[] {
  return LOG_LEVELS.slice((LOG_LEVELS as readonly LogLevel[]).indexOf(level));
}
