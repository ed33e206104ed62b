/** Where a raw message came from, for logs and counters. */
export interface EventPosition {
  readonly partition: number;
  readonly offset: string;
  /** When the producer wrote the message (ms since the epoch, the producer's clock), if known. */
  readonly timestampMs?: number;
  /**
   * The message's W3C trace headers as received (unparsed, possibly garbage), when the source
   * reads them: only with `tracing` on. Never required; see FeedTracing.
   */
  readonly traceHeaders?: TraceHeaders;
}

/** Raw `traceparent` / `tracestate` header values of a message. */
export interface TraceHeaders {
  readonly traceparent?: Buffer | string;
  readonly tracestate?: Buffer | string;
}

/** What an event source delivers to. */
export interface EventSink {
  /** The partitions of the topic; freshness is proven per partition. */
  onPartitions(partitions: readonly number[]): void;
  /**
   * One raw message, in topic order per partition. Rejects only when the message must be
   * delivered again (a retriable failure such as unreachable keys); the source then retries it.
   */
  onMessage(value: Buffer | null, position: EventPosition): Promise<void>;
  /** Called when everything that was on the topic when the source connected has been delivered. */
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
