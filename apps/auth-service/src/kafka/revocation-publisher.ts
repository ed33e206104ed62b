/** One signed message on its way to a partition of the topic. */
export interface OutgoingMessage {
  readonly partition: number;
  readonly value: string;
}

/** The relay's view of the broker. */
export interface RevocationPublisher {
  /** Makes sure the topic exists with a long enough retention; returns its partitions. */
  ensureTopic(): Promise<readonly number[]>;
  /** The partition a user's events go to, so that one user's events stay in order. */
  partitionFor(key: string): number;
  /** Publishes in order, acknowledged by all in-sync replicas, or throws. */
  publish(messages: readonly OutgoingMessage[]): Promise<void>;
  close(): Promise<void>;
}

export const REVOCATION_PUBLISHER = Symbol('REVOCATION_PUBLISHER');
