/** One outbox row on its way to the topic. */
export interface OutgoingEvent {
  /** Partition key: the user id, so one user's events stay in order. */
  readonly key: string;
  readonly value: string;
}

/** The relay's view of the broker. */
export interface RevocationPublisher {
  /** Makes sure the topic exists with a long enough retention. */
  ensureTopic(): Promise<void>;
  /** Publishes in order, acknowledged by all in-sync replicas, or throws. */
  publish(events: readonly OutgoingEvent[]): Promise<void>;
  close(): Promise<void>;
}

export const REVOCATION_PUBLISHER = Symbol('REVOCATION_PUBLISHER');
