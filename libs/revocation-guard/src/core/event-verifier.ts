import {
  EVENT_KEY_ID_PREFIX,
  EventError,
  MAX_MESSAGE_BYTES,
  parseSecurityEvent,
  SET_TYP,
  type SecurityEvent,
} from '@tokenfence/contract';
import { errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { guardedKeys, KeySourceFailure } from './key-source.js';

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const EVENT_ALGORITHMS = ['EdDSA', 'Ed25519', 'ES256'];

/**
 * The event keys cannot be loaded right now. Not the message's fault: the message must be
 * retried, never skipped, or a revocation would be lost.
 */
export class EventKeysUnavailable extends Error {
  override readonly name = 'EventKeysUnavailable';
}

/**
 * Authenticates topic messages: a compact JWS with `typ: secevent+jwt`, signed by the expected
 * issuer with one of its event keys, carrying one valid security event.
 */
export class EventVerifier {
  private readonly keys: JWTVerifyGetKey;

  constructor(
    private readonly issuer: string,
    keys: JWTVerifyGetKey,
  ) {
    this.keys = guardedKeys(keys, (kid) => kid.startsWith(EVENT_KEY_ID_PREFIX));
  }

  async verify(value: Buffer): Promise<SecurityEvent> {
    if (value.byteLength > MAX_MESSAGE_BYTES) {
      throw new EventError('EVENT_TOO_LARGE', `message is ${value.byteLength} bytes`);
    }
    const compact = value.toString('latin1');
    if (!COMPACT_JWS.test(compact)) {
      throw new EventError('EVENT_MALFORMED', 'message is not a compact JWS');
    }
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(compact, this.keys, {
        issuer: this.issuer,
        typ: SET_TYP,
        algorithms: EVENT_ALGORITHMS,
        requiredClaims: ['iss', 'iat', 'jti'],
      }));
    } catch (err) {
      throw toEventError(err);
    }
    return parseSecurityEvent(payload);
  }
}

function toEventError(err: unknown): Error {
  if (err instanceof KeySourceFailure) {
    return new EventKeysUnavailable('event keys unavailable', { cause: err });
  }
  if (
    err instanceof errors.JWSSignatureVerificationFailed ||
    err instanceof errors.JWKSNoMatchingKey ||
    err instanceof errors.JWKSMultipleMatchingKeys ||
    err instanceof errors.JOSEAlgNotAllowed ||
    err instanceof errors.JOSENotSupported
  ) {
    return new EventError('EVENT_SIGNATURE_INVALID', 'message signature is not from the event key');
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    return new EventError('EVENT_INVALID', `message claim "${err.claim}" is not accepted`);
  }
  return new EventError('EVENT_MALFORMED', 'message is not a valid JWS');
}
