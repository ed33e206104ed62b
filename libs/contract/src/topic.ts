/** Default Kafka topic for revocation events. */
export const DEFAULT_REVOCATION_TOPIC = 'auth.revocations';

/** Kafka header names used on revocation messages. */
export const REVOCATION_HEADERS = {
  contentType: 'content-type',
} as const;

/** Content type of a version-1 revocation event, carried in the `content-type` header. */
export const REVOCATION_CONTENT_TYPE = 'application/vnd.tokenfence.revocation+json;v=1';

/** Largest accepted encoded event; anything bigger is rejected unread. */
export const MAX_EVENT_BYTES = 4096;
