/**
 * Nest packages the guard needs only in some contexts, loaded the first time such a context is
 * met: an HTTP-only app installs neither. `@nestjs/websockets` is an optional peer; an rpc
 * context exists only where `@nestjs/microservices` is installed.
 */

/** Builds the exception a context's own exception filter answers with `{code, message}`. */
export type ErrorBodyException = new (body: { code: string; message: string }) => Error;

let wsException: Promise<ErrorBodyException> | undefined;
let rpcException: Promise<ErrorBodyException> | undefined;

/** `WsException` of `@nestjs/websockets`: Nest's ws filter answers only its instances. */
export function loadWsException(): Promise<ErrorBodyException> {
  wsException ??= import('@nestjs/websockets').then((m) => m.WsException);
  return wsException;
}

/** `RpcException` of `@nestjs/microservices`: Nest's rpc filter answers only its instances. */
export function loadRpcException(): Promise<ErrorBodyException> {
  rpcException ??= import('@nestjs/microservices').then((m) => m.RpcException);
  return rpcException;
}
