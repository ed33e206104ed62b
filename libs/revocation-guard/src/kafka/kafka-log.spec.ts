import { describe, expect, it } from '@jest/globals';
import kafkajs from 'kafkajs';
import { kafkaLogCreator } from './kafka-log.js';

const { logLevel } = kafkajs;

function bridge() {
  const lines: [string, string][] = [];
  const record = (level: string) => (message: string) => lines.push([level, message]);
  const log = kafkaLogCreator({
    log: record('log'),
    warn: record('warn'),
    error: record('error'),
    debug: record('debug'),
  })(logLevel.DEBUG);
  const entry = (level: number, message: string) =>
    log({ namespace: 'Connection', level, label: '', log: { message, timestamp: '' } });
  return { lines, entry };
}

describe('kafkaLogCreator', () => {
  it("demotes the first-start GroupCoordinator answer to debug, in any app's logger", () => {
    const { lines, entry } = bridge();
    entry(logLevel.ERROR, 'Response GroupCoordinator(key: 10, version: 2)');
    expect(lines).toEqual([
      ['debug', 'kafkajs Connection: Response GroupCoordinator(key: 10, version: 2)'],
    ]);
  });

  it('keeps other warnings and errors as warnings (the source retries), the rest as log', () => {
    const { lines, entry } = bridge();
    entry(logLevel.ERROR, 'Connection error: ECONNREFUSED');
    entry(logLevel.WARN, 'Response Metadata: LEADER_NOT_AVAILABLE');
    entry(logLevel.INFO, 'Starting');
    expect(lines.map(([level]) => level)).toEqual(['warn', 'warn', 'log']);
  });
});
