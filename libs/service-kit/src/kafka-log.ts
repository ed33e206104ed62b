import kafkajs, { type logCreator } from 'kafkajs';
import type { LoggerService } from '@nestjs/common';

const { logLevel } = kafkajs;

/**
 * Bridges kafkajs logs into a Nest logger at the matching level: ERROR to error, WARN to warn,
 * INFO to log, DEBUG to debug. Known first-start noise is demoted by {@link ServiceLogger}.
 * kafkajs never sees message contents, so no token can reach these lines.
 */
export function kafkaLogCreator(logger: LoggerService): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const text = `kafkajs ${namespace}: ${String(log.message)}`;
      switch (level) {
        case logLevel.ERROR:
          logger.error(text);
          return;
        case logLevel.WARN:
          logger.warn(text);
          return;
        case logLevel.INFO:
          logger.log(text);
          return;
        case logLevel.DEBUG:
          logger.debug?.(text);
          return;
        case logLevel.NOTHING:
          return;
      }
    };
}
