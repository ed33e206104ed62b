import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClientKafka } from '@nestjs/microservices';
import { REVOCATION_CONTENT_TYPE, REVOCATION_HEADERS } from '@tokenfence/contract';
import { kafkaLogCreator } from '@tokenfence/service-kit';
import kafkajs, { type Admin, type Kafka, type RecordMetadata } from 'kafkajs';
import { lastValueFrom } from 'rxjs';
import {
  AUTH_CONFIG,
  longestTokenLifetimeSeconds,
  type AuthConfig,
} from '../config/auth-config.js';
import type {
  OutgoingMessage,
  PartitionWrite,
  RevocationPublisher,
  TopicState,
} from './revocation-publisher.js';

const { Partitioners, logLevel } = kafkajs;

/** A send that the broker has not acknowledged by then counts as failed (and is sent again). */
const PUBLISH_TIMEOUT_MS = 20_000;

/**
 * Publishes through the NestJS Kafka client (`ClientKafka`, producer-only) with acks from all
 * in-sync replicas and one request in flight (so a retry never reorders a partition); creates the
 * topic with kafkajs' admin client.
 *
 * The producer is not idempotent, and a failed publish replaces the client: after a broker crash
 * kafkajs' idempotent producer can be left out of sequence with the broker and refuse every later
 * send until the process restarts. A redelivered batch is harmless: consumers apply events
 * idempotently and count duplicates.
 */
@Injectable()
export class KafkaRevocationPublisher implements RevocationPublisher {
  private readonly logger = new Logger('KafkaRevocationPublisher');
  private client: ClientKafka;
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private partitions: number[] = [];

  constructor(@Inject(AUTH_CONFIG) private readonly config: AuthConfig) {
    this.client = this.createClient();
  }

  private createClient(): ClientKafka {
    const logger = this.logger;
    return new ClientKafka({
      client: {
        clientId: 'auth-service',
        brokers: this.config.kafkaBrokers,
        // kafkajs' INFO lines are per-connection chatter; its warnings and errors are ours.
        logLevel: logLevel.WARN,
        logCreator: kafkaLogCreator(logger),
        retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 },
      },
      producerOnlyMode: true,
      postfixId: '',
      producer: {
        idempotent: false,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      },
      send: { acks: -1 },
    });
  }

  /** Drops the current client (whatever state it is in) for a fresh one. */
  private async replaceClient(): Promise<void> {
    const old = this.client;
    this.client = this.createClient();
    await old.close().catch(() => undefined);
  }

  async ensureTopic(): Promise<TopicState> {
    await this.client.connect();
    const admin = this.client.unwrap<Kafka>().admin();
    await admin.connect();
    let created: boolean;
    try {
      created = await this.createOrUpdate(admin);
      const metadata = await admin.fetchTopicMetadata({ topics: [this.config.revocationTopic] });
      this.partitions = (metadata.topics[0]?.partitions ?? [])
        .map((p) => p.partitionId)
        .sort((a, b) => a - b);
    } finally {
      await admin.disconnect();
    }
    if (this.partitions.length === 0) throw new Error('the revocation topic has no partitions');
    return { partitions: this.partitions, created };
  }

  partitionFor(key: string): number {
    return this.partitioner({
      topic: this.config.revocationTopic,
      partitionMetadata: this.partitions.map((partitionId) => ({
        partitionId,
        leader: 0,
        partitionErrorCode: 0,
        replicas: [0],
        isr: [0],
      })),
      message: { key, value: null },
    });
  }

  async publish(
    messages: readonly OutgoingMessage[],
  ): Promise<ReadonlyMap<number, PartitionWrite>> {
    if (messages.length === 0) return new Map();
    let timer: NodeJS.Timeout | undefined;
    try {
      const sent: Promise<RecordMetadata[] | undefined> = lastValueFrom(
        this.client.emitBatch(this.config.revocationTopic, {
          messages: messages.map((m) => ({
            partition: m.partition,
            value: m.value,
            headers: { ...m.headers, [REVOCATION_HEADERS.contentType]: REVOCATION_CONTENT_TYPE },
          })),
        }),
      );
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no broker acknowledgement within ${PUBLISH_TIMEOUT_MS} ms`)),
          PUBLISH_TIMEOUT_MS,
        );
      });
      sent.catch(() => undefined); // settled late after a timeout: already handled
      const written = await Promise.race([sent, timedOut]);
      return new Map(
        (written ?? []).map((r) => [
          r.partition,
          { baseOffset: Number(r.baseOffset), logStartOffset: Number(r.logStartOffset ?? -1) },
        ]),
      );
    } catch (err) {
      await this.replaceClient(); // the caller retries, with a client in a known state
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** True when the topic was created now. */
  private async createOrUpdate(admin: Admin): Promise<boolean> {
    const topic = this.config.revocationTopic;
    const retentionMs = String(
      (longestTokenLifetimeSeconds(this.config) + this.config.topicRetentionMarginSeconds) * 1000,
    );
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: this.config.topicPartitions,
          configEntries: [
            { name: 'retention.ms', value: retentionMs },
            { name: 'cleanup.policy', value: 'delete' },
          ],
        },
      ],
    });
    if (created) {
      this.logger.log(`created topic "${topic}" (retention ${retentionMs} ms)`);
      return true;
    }
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic }],
    });
    const current = described.resources[0]?.configEntries.find(
      (e) => e.configName === 'retention.ms',
    );
    if (
      current &&
      Number(current.configValue) >= 0 &&
      Number(current.configValue) < Number(retentionMs)
    ) {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: kafkajs.ConfigResourceTypes.TOPIC,
            name: topic,
            configEntries: [{ name: 'retention.ms', value: retentionMs }],
          },
        ],
      });
      this.logger.warn(`raised retention of "${topic}" to ${retentionMs} ms`);
    }
    return false;
  }
}
