/** One signed message on its way to a partition of the topic. */
export interface OutgoingMessage {
  readonly partition: number;
  readonly value: string;
  /**
   * For a revocation batch: the latest `expiresAt` of its members (seconds). The relay keeps the
   * offsets of such messages while they matter, to notice when the topic has lost them.
   */
  readonly expiresAt?: number;
  /** Headers besides `content-type`: the trace context, when tracing is on. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Where the broker put a publish's messages in one partition. */
export interface PartitionWrite {
  /** Offset of the first message written to the partition by this publish. */
  readonly baseOffset: number;
  /** The partition's log start offset as the broker answered it (-1 when it did not say). */
  readonly logStartOffset: number;
}

/** The topic as `ensureTopic` found it. */
export interface TopicState {
  readonly partitions: readonly number[];
  /** True when this call created the topic: nothing published before exists on it. */
  readonly created: boolean;
}

/** The relay's view of the broker. */
export interface RevocationPublisher {
  /** Makes sure the topic exists with a long enough retention; returns its partitions. */
  ensureTopic(): Promise<TopicState>;
  /** The partition a user's events go to, so that one user's events stay in order. */
  partitionFor(key: string): number;
  /**
   * Publishes in order, acknowledged by all in-sync replicas, or throws. Returns, per partition
   * written, where the messages went.
   */
  publish(messages: readonly OutgoingMessage[]): Promise<ReadonlyMap<number, PartitionWrite>>;
  close(): Promise<void>;
}

export const REVOCATION_PUBLISHER = Symbol('REVOCATION_PUBLISHER');
