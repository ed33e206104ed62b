import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import kafkajs from 'kafkajs';
import { kafkaLogCreator } from './kafka-log.js';
import { loadLogSettings } from './log-settings.js';
import { requestContext } from './request-context.js';
import { requestIdFor } from './request-logging.js';
import { ServiceLogger } from './service-logger.js';

describe('loadLogSettings', () => {
  it('defaults to JSON at log level and accepts info as log', () => {
    expect(loadLogSettings({}, 'svc')).toEqual({ level: 'log', format: 'json' });
    expect(loadLogSettings({ LOG_LEVEL: ' INFO ' }, 'svc').level).toBe('log');
    expect(loadLogSettings({ LOG_LEVEL: 'debug', LOG_FORMAT: 'text' }, 'svc')).toEqual({
      level: 'debug',
      format: 'text',
    });
  });

  it('names the variable to fix', () => {
    expect(() => loadLogSettings({ LOG_LEVEL: 'loud' }, 'orders-service')).toThrow(
      new TypeError(
        'orders-service: environment variable LOG_LEVEL must be one of verbose, debug, log, warn, error, fatal (got "loud")',
      ),
    );
    expect(() => loadLogSettings({ LOG_FORMAT: 'xml' }, 'svc')).toThrow(/LOG_FORMAT must be json/);
  });
});

describe('ServiceLogger', () => {
  let written: string[];
  beforeEach(() => {
    written = [];
    const capture = (chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    };
    jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  const records = () => written.map((line) => JSON.parse(line) as Record<string, unknown>);

  it('writes one JSON object a line, with the request id of the request being handled', () => {
    const logger = new ServiceLogger({ level: 'log', format: 'json' }, true);
    logger.log('outside', 'Ctx');
    requestContext.run({ requestId: 'req-1' }, () => logger.warn('inside', 'Ctx'));
    expect(written.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(
      true,
    );
    expect(records()).toEqual([
      expect.objectContaining({ level: 'log', message: 'outside', context: 'Ctx' }),
      expect.objectContaining({ level: 'warn', message: 'inside', requestId: 'req-1' }),
    ]);
    expect(records()[0]).not.toHaveProperty('requestId');
  });

  it('drops what is below the level', () => {
    const logger = new ServiceLogger({ level: 'warn', format: 'json' }, false);
    logger.debug('d');
    logger.log('l');
    logger.warn('w');
    logger.error('e');
    expect(records().map((r) => r.level)).toEqual(['warn', 'error']);
  });

  it('writes no colour codes in text mode unless on a terminal', () => {
    new ServiceLogger({ level: 'log', format: 'text' }, false).log('plain', 'Ctx');
    expect(written.join('')).toContain('plain');
    expect(written.join('')).not.toContain('\x1b[');
    written.length = 0;
    const noColor = process.env.NO_COLOR;
    delete process.env.NO_COLOR;
    try {
      new ServiceLogger({ level: 'log', format: 'text' }, true).log('coloured', 'Ctx');
    } finally {
      if (noColor !== undefined) process.env.NO_COLOR = noColor;
    }
    expect(written.join('')).toContain('\x1b[');
  });

  it("demotes kafkajs' first-start GroupCoordinator noise to debug", () => {
    const line = 'kafkajs Connection: Response GroupCoordinator(key: 10, version: 2)';
    new ServiceLogger({ level: 'log', format: 'json' }, false).warn(line, 'RevocationFeed');
    expect(written).toEqual([]);
    new ServiceLogger({ level: 'debug', format: 'json' }, false).warn(line, 'RevocationFeed');
    expect(records()).toEqual([expect.objectContaining({ level: 'debug', message: line })]);
  });
});

describe('kafkaLogCreator', () => {
  it("maps kafkajs' levels to the logger's", () => {
    const calls: string[] = [];
    const logger = {
      error: (m: string) => calls.push(`error ${m}`),
      warn: (m: string) => calls.push(`warn ${m}`),
      log: (m: string) => calls.push(`log ${m}`),
      debug: (m: string) => calls.push(`debug ${m}`),
    };
    const log = kafkaLogCreator(logger)(kafkajs.logLevel.DEBUG);
    const { ERROR, WARN, INFO, DEBUG } = kafkajs.logLevel;
    for (const [level, name] of [
      [ERROR, 'e'],
      [WARN, 'w'],
      [INFO, 'i'],
      [DEBUG, 'd'],
    ] as const) {
      log({ namespace: 'NS', level, label: '', log: { message: name, timestamp: '' } });
    }
    expect(calls).toEqual([
      'error kafkajs NS: e',
      'warn kafkajs NS: w',
      'log kafkajs NS: i',
      'debug kafkajs NS: d',
    ]);
  });
});

describe('requestIdFor', () => {
  it('keeps a sane caller id and replaces anything else', () => {
    expect(requestIdFor('abc-123_x.y:z')).toBe('abc-123_x.y:z');
    expect(requestIdFor(['first', 'second'])).toBe('first');
    for (const bad of [undefined, '', 'a b', 'x'.repeat(129), 'a"b', 'line\nbreak']) {
      expect(requestIdFor(bad)).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      );
    }
  });
});
