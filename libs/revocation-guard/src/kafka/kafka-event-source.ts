import { randomUUID } from 'node:crypto';
import kafkajs, {
  type Consumer,
  type EachBatchPayload,
  type KafkaConfig,
  type KafkaMessage,
} from 'kafkajs';
import { REVOCATION_HEADERS } from '@tokenfence/contract';
import { backoffDelayMs } from '../core/backoff.js';
import type { EventSink, RevocationEventSource, TraceHeaders } from '../core/event-source.js';
import type { GuardLogger } from '../core/logger.js';
import { kafkaLogCreator } from './kafka-log.js';

const { Kafka, logLevel } = kafkajs;

export interface KafkaEventSourceOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly clientId: string;
  /** Each instance joins its own group `<prefix>-<uuid>`, so every instance gets every event. */
  readonly groupIdPrefix: string;
  readonly logger: GuardLogger;
  /** Extra kafkajs client settings (ssl, sasl, timeouts). */
  readonly kafka?: Omit<KafkaConfig, 'brokers' | 'clientId' | 'logCreator'>;
  /** A number in [0, 1) for the reconnect jitter. Default `Math.random`. */
  readonly random?: () => number;
  /** Passes each message's `traceparent`/`tracestate` on (tracing on). Default false. */
  readonly traceHeaders?: boolean;
}

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;
const STOP_TIMEOUT_MS = 2_000;

/**
 * Reads the revocation topic from the start of its retained window, as a consumer group of its
 * own (broadcast: no instance shares a group), and reports when it has caught up with the end
 * offsets the topic had when it connected. Offsets are never committed.
 */
export class KafkaEventSource implements RevocationEventSource {
  private readonly kafka: InstanceType<typeof Kafka>;
  private consumer: Consumer | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  /** Ends the current wait between connection attempts (stop() does not wait it out). */
  private wake: (() => void) | undefined;

  constructor(private readonly options: KafkaEventSourceOptions) {
    this.kafka = new Kafka({
      ...options.kafka,
      clientId: options.clientId,
      brokers: [...options.brokers],
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(options.logger),
    });
  }

  start(sink: EventSink): Promise<void> {
    this.stopped = false;
    this.running = this.connectWithRetry(sink);
    return Promise.resolve();
  }

  /**
   * Stops reading. Waits at most {@link STOP_TIMEOUT_MS} for kafkajs to leave the group: with the
   * broker gone that takes several seconds (6.8 s measured), longer than a container's stop
   * grace period allows once the app's own shutdown is counted. Nothing is lost by not waiting:
   * offsets are never committed and the group is this instance's alone.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    const stopping = (async () => {
      await this.running;
      await this.consumer?.disconnect();
    })();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      stopping.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      stopping.catch(() => undefined);
      this.options.logger.warn(
        `the Kafka consumer did not disconnect within ${STOP_TIMEOUT_MS} ms; stopped without it`,
      );
    }
    this.consumer = undefined;
  }

  /**
   * Connects, and after a failure tries again with an exponential backoff plus jitter, so the
   * instances of a fleet that lost the broker together do not all reconnect at the same moment.
   */
  private async connectWithRetry(sink: EventSink): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.connect(sink);
        // stop() gave up waiting for this connect: the consumer it made must not run on.
        if (this.stopped) await this.consumer?.disconnect().catch(() => undefined);
        return;
      } catch (err) {
        await this.consumer?.disconnect().catch(() => undefined);
        this.consumer = undefined;
        if (this.stopped) return;
        const delayMs = backoffDelayMs({
          failures: ++failures,
          minMs: RETRY_MIN_MS,
          maxMs: RETRY_MAX_MS,
          random: this.options.random ?? Math.random,
        });
        this.options.logger.warn(
          `cannot read topic "${this.options.topic}" yet (${(err as Error).message}); retrying in ${delayMs} ms`,
        );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delayMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  private async connect(sink: EventSink): Promise<void> {
    const { topic } = this.options;
    const targets = await this.fetchEndOffsets();
    sink.onPartitions([...targets.keys()]);
    const positions = new Map<number, bigint>([...targets].map(([p, t]) => [p, t.low]));
    let caughtUp = false;
    let joined = false; // ready only once partitions are assigned and being fetched
    const checkCaughtUp = (): void => {
      if (caughtUp || !joined) return;
      for (const [partition, target] of targets) {
        if ((positions.get(partition) ?? 0n) < target.high) return;
      }
      caughtUp = true;
      sink.onCaughtUp();
    };

    const consumer = this.kafka.consumer({
      groupId: `${this.options.groupIdPrefix}-${randomUUID()}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 1_000,
      // Large fetches: a cold start replays up to ~1 GB of batches; signed batches are up to 1 MiB.
      maxBytesPerPartition: 16 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
      // kafkajs restarts a crashed consumer on a timer, and a crash while stopping sets that
      // timer after disconnect() cleared it: a stopped source must never come back by itself.
      retry: { restartOnFailure: () => Promise.resolve(!this.stopped) },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.options.logger.warn(
        `consumer crashed (${payload.error.message}); ${payload.restart ? 'kafkajs restarts it' : 'reconnecting'}`,
      );
      if (!payload.restart && !this.stopped) {
        this.running = this.connectWithRetry(sink);
      }
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
      checkCaughtUp();
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload: EachBatchPayload) => {
        const { batch } = payload;
        for (const message of batch.messages) {
          // A rejection (keys unreachable) makes kafkajs retry from the last resolved offset.
          const timestampMs = Number(message.timestamp); // CreateTime or LogAppendTime, in ms
          const traceHeaders = this.options.traceHeaders ? traceHeadersOf(message) : undefined;
          await sink.onMessage(message.value, {
            partition: batch.partition,
            offset: message.offset,
            ...(Number.isFinite(timestampMs) && timestampMs > 0 ? { timestampMs } : {}),
            ...(traceHeaders ? { traceHeaders } : {}),
          });
          payload.resolveOffset(message.offset);
          const next = BigInt(message.offset) + 1n;
          if (next > (positions.get(batch.partition) ?? 0n)) positions.set(batch.partition, next);
        }
        checkCaughtUp();
      },
    });
    checkCaughtUp();
  }

  private async fetchEndOffsets(): Promise<Map<number, { low: bigint; high: bigint }>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(this.options.topic);
      return new Map(
        offsets.map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]),
      );
    } finally {
      await admin.disconnect();
    }
  }
}

/** The message's trace headers as received (the first value of each), or undefined. */
function traceHeadersOf(message: KafkaMessage): TraceHeaders | undefined {
  const first = (value: unknown): Buffer | string | undefined => {
    const one: unknown = Array.isArray(value) ? value[0] : value;
    return typeof one === 'string' || Buffer.isBuffer(one) ? one : undefined;
  };
  const traceparent = first(message.headers?.[REVOCATION_HEADERS.traceparent]);
  if (traceparent === undefined) return undefined;
  const tracestate = first(message.headers?.[REVOCATION_HEADERS.tracestate]);
  return { traceparent, ...(tracestate !== undefined ? { tracestate } : {}) };
}
