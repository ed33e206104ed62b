import { errors, type JWTVerifyGetKey } from 'jose';

/** A failure of the key source (JWKS unreachable, bad JWKS), as opposed to a bad token or event. */
export class KeySourceFailure extends Error {
  override readonly name = 'KeySourceFailure';
}

/**
 * Wraps a key resolver: only keys whose `kid` passes `accept` are used (token keys and event keys
 * are never interchangeable), and a failing resolver surfaces as {@link KeySourceFailure}.
 */
export function guardedKeys(
  source: JWTVerifyGetKey,
  accept: (kid: string) => boolean,
): JWTVerifyGetKey {
  return async (header, token) => {
    if (header.kid === undefined || !accept(header.kid)) {
      throw new errors.JWKSNoMatchingKey();
    }
    try {
      return await source(header, token);
    } catch (err) {
      if (
        err instanceof errors.JWKSNoMatchingKey ||
        err instanceof errors.JWKSMultipleMatchingKeys ||
        err instanceof errors.JOSENotSupported ||
        err instanceof errors.JOSEAlgNotAllowed
      ) {
        throw err;
      }
      throw new KeySourceFailure('key source failed', { cause: err });
    }
  };
}
