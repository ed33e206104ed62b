import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { levelsFrom, type LogSettings } from './log-settings.js';
import { requestContext } from './request-context.js';

/**
 * kafkajs lines that are expected and harmless, logged at debug whoever reports them: a consumer's
 * first `GroupCoordinator` request on a fresh broker answers "coordinator not available" until the
 * offsets topic exists, and kafkajs retries it.
 */
const KAFKA_NOISE = /^kafkajs [\w.]+: Response GroupCoordinator\b/;

/**
 * Nest's console logger, as JSON lines (or plain text) at the configured level, with the request
 * id of the HTTP request being handled. Colours only in text mode on a terminal.
 */
export class ServiceLogger extends ConsoleLogger {
  constructor(
    settings: LogSettings,
    /** Where text output goes, to decide on colours. */
    isTerminal: boolean = process.stdout.isTTY === true,
  ) {
    super({
      json: settings.format === 'json',
      colors: settings.format === 'text' && isTerminal && !process.env.NO_COLOR,
      logLevels: levelsFrom(settings.level),
    });
  }

  override warn(message: unknown, ...optionalParams: unknown[]): void {
    if (typeof message === 'string' && KAFKA_NOISE.test(message)) {
      super.debug(message, ...optionalParams);
      return;
    }
    super.warn(message, ...optionalParams);
  }

  protected override getJsonLogObject(
    message: unknown,
    options: {
      context: string;
      logLevel: LogLevel;
      writeStreamType?: 'stdout' | 'stderr';
      errorStack?: unknown;
      params?: Record<string, unknown>;
      error?: Error;
    },
  ): { [key: string]: unknown; level: LogLevel; pid: number; timestamp: number; message: unknown } {
    const object = super.getJsonLogObject(message, options);
    const requestId = requestContext.getStore()?.requestId;
    return requestId === undefined ? object : { ...object, requestId };
  }

  protected override formatContext(context: string): string {
    const requestId = requestContext.getStore()?.requestId;
    return super.formatContext(requestId === undefined ? context : `${context}] [${requestId}`);
  }
}
