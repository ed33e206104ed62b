import kafkajs, { type logCreator } from 'kafkajs';
import type { GuardLogger } from '../core/logger.js';

const { logLevel } = kafkajs;

/**
 * kafkajs lines that are expected and harmless: a consumer's first `GroupCoordinator` request on
 * a fresh broker is answered "coordinator not available" until the offsets topic exists, and
 * kafkajs retries it.
 */
const KAFKA_NOISE = /^Response GroupCoordinator\b/;

/**
 * Bridges kafkajs logs into a {@link GuardLogger}; kafkajs never sees message contents. Errors
 * and warnings are warnings: the source reconnects by itself, and a lasting failure shows in
 * readiness.
 */
export function kafkaLogCreator(logger: GuardLogger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const message = String(log.message);
      const text = `kafkajs ${namespace}: ${message}`;
      if (KAFKA_NOISE.test(message)) logger.debug?.(text);
      else if (level === logLevel.ERROR || level === logLevel.WARN) logger.warn(text);
      else logger.log(text);
    };
}
