// @tokenfence/revocation-guard/testing: test doubles for apps using the guard. A local issuer
// (keys in memory, access tokens, signed revocation events), an in-memory event source and a
// clock moved by hand: no JWKS URL, no broker, no network.
export {
  createTestIssuer,
  TestIssuer,
  type RevocationDetails,
  type RevocationTarget,
  type TestIssuerAlgorithm,
  type TestIssuerModuleOptions,
  type TestIssuerOptions,
  type TestTokenClaims,
} from './testing/test-issuer.js';
export {
  InMemoryEventSource,
  type InMemoryEventSourceOptions,
} from './testing/in-memory-event-source.js';
export { ManualClock } from './core/manual-clock.js';
