import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database } from '../database/database.js';

/** Our stream at one provider's transmitter, as recorded when we set it up. */
export interface SsfStream {
  readonly providerId: string;
  readonly streamId: string;
  /** The `aud` its SETs carry (Keycloak: `<client id>/<stream id>`). */
  readonly audience: readonly string[];
  readonly delivery: 'push' | 'poll';
  /** Push: our endpoint; poll: the transmitter's poll endpoint. */
  readonly endpointUrl: string | undefined;
  /** Push: the SHA-256 of the Authorization header value it pushes with. */
  readonly pushTokenHash: string | undefined;
  readonly verificationState: string | undefined;
  readonly verifiedAt: Date | undefined;
}

interface StreamRow {
  provider_id: string;
  stream_id: string | null;
  audience: string[];
  delivery: 'push' | 'poll';
  endpoint_url: string | null;
  push_token_hash: string | null;
  verification_state: string | null;
  verified_at: Date | string | null;
}

export const sha256 = (value: string): string =>
  createHash('sha256').update(value).digest('base64url');

/**
 * The streams each provider transmits to us on (table `ssf_streams`), shared by every instance:
 * one sets a stream up, every one accepts its pushes.
 */
@Injectable()
export class SsfStreams {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async get(providerId: string): Promise<SsfStream | undefined> {
    const [row] = await this.db.query<StreamRow>(
      `SELECT provider_id, stream_id, audience, delivery, endpoint_url, push_token_hash,
              verification_state, verified_at
         FROM ssf_streams WHERE provider_id = $1 AND stream_id IS NOT NULL`,
      [providerId],
    );
    if (!row?.stream_id) return undefined;
    return {
      providerId: row.provider_id,
      streamId: row.stream_id,
      audience: row.audience,
      delivery: row.delivery,
      endpointUrl: row.endpoint_url ?? undefined,
      pushTokenHash: row.push_token_hash ?? undefined,
      verificationState: row.verification_state ?? undefined,
      verifiedAt: row.verified_at === null ? undefined : new Date(row.verified_at),
    };
  }

  async save(stream: Omit<SsfStream, 'verifiedAt'>): Promise<void> {
    await this.db.query(
      `INSERT INTO ssf_streams (provider_id, stream_id, audience, delivery, endpoint_url,
                                push_token_hash, verification_state, verified_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, now())
       ON CONFLICT (provider_id) DO UPDATE
         SET stream_id = $2, audience = $3, delivery = $4, endpoint_url = $5,
             push_token_hash = $6, verification_state = $7, verified_at = NULL, updated_at = now()`,
      [
        stream.providerId,
        stream.streamId,
        stream.audience,
        stream.delivery,
        stream.endpointUrl ?? null,
        stream.pushTokenHash ?? null,
        stream.verificationState ?? null,
      ],
    );
  }

  /** Records that the verification event asked for arrived; false for any other state. */
  async verified(providerId: string, state: string | undefined): Promise<boolean> {
    if (state === undefined) return false;
    const rows = await this.db.query(
      `UPDATE ssf_streams SET verified_at = now()
        WHERE provider_id = $1 AND verification_state = $2 RETURNING 1`,
      [providerId, state],
    );
    return rows.length > 0;
  }

  /** Whether `authorization` is the header value the provider's push stream was set up with. */
  static pushAuthorized(stream: SsfStream | undefined, authorization: string | undefined): boolean {
    if (!stream?.pushTokenHash || authorization === undefined) return false;
    const given = Buffer.from(sha256(authorization));
    const expected = Buffer.from(stream.pushTokenHash);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
