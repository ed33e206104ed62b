/**
 * Nest packages the guard needs only in some contexts, loaded the first time such a context is
 * met: an HTTP-only app installs none. `@nestjs/websockets` and `@nestjs/graphql` are optional
 * peers; an rpc context exists only where `@nestjs/microservices` is installed, a graphql one only
 * where `@nestjs/graphql` is.
 */
import type { ExecutionContext } from '@nestjs/common';

/** Builds the exception a context's own exception filter answers with `{code, message}`. */
export type ErrorBodyException = new (body: { code: string; message: string }) => Error;

/** What the guard reads of a `KafkaContext` (typed here: no import of the optional peer's types). */
export interface KafkaContextLike {
  getMessage(): unknown;
  getTopic(): string;
  getPartition(): number;
}

/** What the guard reads of a `TcpContext`. */
export interface TcpContextLike {
  getPattern(): string;
  getMetadata(): Readonly<Record<string, string>> | undefined;
}

/** What the guard uses of `@nestjs/microservices`: its exception and the contexts it checks. */
export interface MicroservicesPeer {
  readonly RpcException: ErrorBodyException;
  readonly KafkaContext: abstract new (...args: never[]) => KafkaContextLike;
  readonly TcpContext: abstract new (...args: never[]) => TcpContextLike;
}

let wsException: Promise<ErrorBodyException> | undefined;
let microservices: Promise<MicroservicesPeer> | undefined;
let gqlContext: Promise<GraphQLContextOf> | undefined;
let gqlContextLoaded: GraphQLContextOf | undefined;

/** The GraphQL context object of a resolver's execution context (`{ req }` by default). */
export type GraphQLContextOf = (context: ExecutionContext) => unknown;

/** `WsException` of `@nestjs/websockets`: Nest's ws filter answers only its instances. */
export function loadWsException(): Promise<ErrorBodyException> {
  wsException ??= import('@nestjs/websockets').then((m) => m.WsException);
  return wsException;
}

/** `RpcException` of `@nestjs/microservices`: Nest's rpc filter answers only its instances. */
export async function loadRpcException(): Promise<ErrorBodyException> {
  return (await loadMicroservices()).RpcException;
}

/** `@nestjs/microservices`, loaded at the first rpc context (only an rpc app has one). */
export function loadMicroservices(): Promise<MicroservicesPeer> {
  microservices ??= import('@nestjs/microservices').then(
    ({ RpcException, KafkaContext, TcpContext }) => ({ RpcException, KafkaContext, TcpContext }),
  );
  return microservices;
}

/**
 * `GqlExecutionContext.create(context).getContext()` of `@nestjs/graphql`: the context object
 * of a resolver, whichever kind of resolver (query, field, reference) it is.
 */
export function loadGraphQLContextOf(): Promise<GraphQLContextOf> {
  gqlContext ??= import('@nestjs/graphql').then((m) => {
    const of: GraphQLContextOf = (context) =>
      m.GqlExecutionContext.create(context).getContext<unknown>();
    gqlContextLoaded = of;
    return of;
  });
  return gqlContext;
}

/**
 * {@link loadGraphQLContextOf}'s function once loaded, for synchronous callers (parameter
 * decorators): the guard loads it before any guarded resolver runs; undefined before.
 */
export function loadedGraphQLContextOf(): GraphQLContextOf | undefined {
  return gqlContextLoaded;
}
