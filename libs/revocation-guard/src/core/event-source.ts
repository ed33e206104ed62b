/** Where a raw event came from, for logs and counters. */
export interface EventPosition {
  readonly partition: number;
  readonly offset: string;
}

/** What an event source delivers to. */
export interface EventSink {
  /** One raw message, in topic order per partition. Must not throw. */
  onMessage(value: Buffer | null, position: EventPosition): void;
  /** Called once, when everything that was on the topic when the source started has been delivered. */
  onCaughtUp(): void;
}

/**
 * The seam between the revocation feed and a broker. Every instance must receive every event (no
 * shared consumer group) and a source must start from the beginning of the retained window.
 */
export interface RevocationEventSource {
  /** Starts delivering in the background; resolves once started. Retries on broker failures. */
  start(sink: EventSink): Promise<void>;
  stop(): Promise<void>;
}
