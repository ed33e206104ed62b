import kafkajs, { type logCreator } from 'kafkajs';
import type { GuardLogger } from '../core/logger.js';

const { logLevel } = kafkajs;

/** Bridges kafkajs logs into a {@link GuardLogger}; kafkajs never sees message contents. */
export function kafkaLogCreator(logger: GuardLogger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const text = `kafkajs ${namespace}: ${String(log.message)}`;
      if (level === logLevel.ERROR || level === logLevel.WARN) logger.warn(text);
      else logger.log(text);
    };
}
