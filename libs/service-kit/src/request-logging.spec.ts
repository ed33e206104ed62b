import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { requestContext } from './request-context.js';
import { requestLogging } from './request-logging.js';
import { ServiceLogger } from './service-logger.js';

function fakeExchange(headers: Record<string, string>, url: string) {
  const sent: Record<string, string> = {};
  const res = Object.assign(new EventEmitter(), {
    statusCode: 200,
    headers: sent,
    setHeader(name: string, value: string) {
      this.headers[name.toLowerCase()] = value;
    },
  });
  const req = { headers, url, method: 'GET' } as unknown as IncomingMessage;
  return { req, res: res as unknown as ServerResponse & typeof res };
}

describe('requestLogging', () => {
  afterEach(() => {
    Logger.overrideLogger(new ServiceLogger({ level: 'log', format: 'json' }, false));
  });

  it('echoes the id, sets it for the handler, and logs one access line without the query', () => {
    const lines: { message: unknown; requestId: string | undefined }[] = [];
    const logger = {
      log: (message: unknown) =>
        lines.push({ message, requestId: requestContext.getStore()?.requestId }),
    } as unknown as Logger;
    Logger.overrideLogger(new ServiceLogger({ level: 'log', format: 'json' }, false));
    const { req, res } = fakeExchange({ 'x-request-id': 'caller-1' }, '/me?access_token=secret');
    let seen: string | undefined;
    requestLogging(logger)(req, res, () => {
      seen = requestContext.getStore()?.requestId;
    });
    expect(seen).toBe('caller-1');
    expect(res.headers['x-request-id']).toBe('caller-1');
    expect(lines).toEqual([]);
    res.emit('finish');
    expect(lines).toEqual([
      { message: expect.stringMatching(/^GET \/me 200 \d+\.\d ms$/), requestId: 'caller-1' },
    ]);
  });

  it('still gives an id, without timing, when access lines would be dropped', () => {
    const lines: unknown[] = [];
    const logger = { log: (m: unknown) => lines.push(m) } as unknown as Logger;
    Logger.overrideLogger(new ServiceLogger({ level: 'warn', format: 'json' }, false));
    const { req, res } = fakeExchange({}, '/me');
    let seen: string | undefined;
    requestLogging(logger)(req, res, () => {
      seen = requestContext.getStore()?.requestId;
    });
    res.emit('finish');
    expect(seen).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-request-id']).toBe(seen);
    expect(lines).toEqual([]);
  });
});
