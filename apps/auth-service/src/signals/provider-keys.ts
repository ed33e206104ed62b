import { Logger } from '@nestjs/common';
import { JwksKeySource } from '@tokenfence/revocation-guard';
import { errors, type JWTVerifyGetKey } from 'jose';
import type { IdentityProvider } from './identity-providers.js';
import { SignalError } from './signal-error.js';

/**
 * Each identity provider's signing keys, from its JWKS, with the guard's key cache: a known key
 * at once, the last good key set while the provider's JWKS is unreachable, unknown kids refetched
 * at most every 5 s. Only the key resolver: jose checks signatures with it.
 */
export class ProviderKeys {
  private readonly sources = new Map<string, JwksKeySource>();

  constructor(providers: readonly IdentityProvider[]) {
    for (const provider of providers) {
      this.sources.set(
        provider.id,
        new JwksKeySource({
          jwksUrl: provider.jwksUri,
          logger: new Logger(`ProviderKeys:${provider.id}`),
        }),
      );
    }
  }

  /** The key resolver of `provider`, whose failures are {@link SignalError}s. */
  resolverOf(provider: IdentityProvider): JWTVerifyGetKey {
    const source = this.sources.get(provider.id);
    if (!source) throw new Error(`no keys for identity provider ${provider.id}`);
    return async (header, token) => {
      try {
        return await source.getKey(header, token);
      } catch (err) {
        if (err instanceof errors.JOSEError) throw err; // no matching key: a bad signal
        throw new SignalError(
          'SIGNAL_KEYS_UNAVAILABLE',
          `the signing keys of ${provider.id} cannot be fetched`,
        );
      }
    };
  }
}
