import { GuardError } from './guard-error.js';
import type { Principal } from './principal.js';
import type { RevocationFeed } from './revocation-feed.js';
import type { TokenVerifier } from './token-verifier.js';

const BEARER = /^Bearer +([^\s]+)\s*$/i;

/**
 * Turns an `Authorization` header into a verified, unrevoked principal, or throws a
 * {@link GuardError}. No network call: keys are cached and the denylist is in memory.
 */
export class AccessTokenAuthenticator {
  constructor(
    private readonly verifier: TokenVerifier,
    private readonly feed: RevocationFeed,
  ) {}

  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (authorization === undefined || authorization.trim() === '') {
      throw new GuardError('TOKEN_MISSING', 'An Authorization: Bearer access token is required.');
    }
    const match = BEARER.exec(authorization);
    if (!match?.[1]) {
      throw new GuardError('TOKEN_MALFORMED', 'The Authorization header must be "Bearer <token>".');
    }
    if (!this.feed.isReady()) {
      throw new GuardError(
        'REVOCATION_STATE_NOT_READY',
        'This service has not yet caught up with the revocation feed.',
      );
    }
    const principal = await this.verifier.verify(match[1]);
    const scope = this.feed.denylist.check(principal);
    if (scope !== undefined) {
      throw new GuardError('TOKEN_REVOKED', `The access token has been revoked (${scope}).`);
    }
    return principal;
  }
}
