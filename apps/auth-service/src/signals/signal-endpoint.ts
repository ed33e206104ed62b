import { HttpException } from '@nestjs/common';
import type { Response } from 'express';
import type { IdentityProvider } from './identity-providers.js';
import { SignalError } from './signal-error.js';

/** Seconds a provider is asked to wait before sending a signal again (its keys unavailable). */
const RETRY_AFTER_SECONDS = 5;

/** A refusal's members in the words of the channel's specification (none for some statuses). */
export type RefusalWords = (err: SignalError) => Readonly<Record<string, string | undefined>>;

/**
 * What the signal endpoints share: the providers configured to use one of them, by the id in its
 * path, and their refusals, in the channel's words plus our `code` and `message`.
 */
export class SignalEndpoint {
  private readonly providers: ReadonlyMap<string, IdentityProvider>;

  constructor(
    providers: readonly IdentityProvider[],
    /** Why an id is unknown here, in the 404. */
    private readonly unknown: string,
    private readonly words: RefusalWords,
  ) {
    this.providers = new Map(providers.map((p) => [p.id, p]));
  }

  /** The provider with this id, or a 404 `IDENTITY_PROVIDER_UNKNOWN` to throw. */
  provider(id: string): IdentityProvider {
    const provider = this.providers.get(id);
    if (!provider) throw this.refusal(new SignalError('IDENTITY_PROVIDER_UNKNOWN', this.unknown));
    return provider;
  }

  /**
   * What to throw for an error of the endpoint's work: a {@link SignalError} as its refusal (a
   * 503 asks the provider to come back after Retry-After seconds); anything else unchanged.
   */
  refusal(err: unknown, res?: Response): unknown {
    if (!(err instanceof SignalError)) return err;
    if (err.status === 503) res?.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    return new HttpException(
      { ...this.words(err), code: err.code, message: err.message },
      err.status,
    );
  }
}
