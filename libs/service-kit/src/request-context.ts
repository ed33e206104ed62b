import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  readonly requestId: string;
}

/** The HTTP request being handled, for log lines written while handling it. */
export const requestContext = new AsyncLocalStorage<RequestContext>();
