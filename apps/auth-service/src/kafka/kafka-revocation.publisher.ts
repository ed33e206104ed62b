import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClientKafka } from '@nestjs/microservices';
import { REVOCATION_CONTENT_TYPE, REVOCATION_HEADERS } from '@tokenfence/contract';
import kafkajs, { type Admin, type Kafka } from 'kafkajs';
import { lastValueFrom } from 'rxjs';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import type { OutgoingMessage, RevocationPublisher } from './revocation-publisher.js';

const { Partitioners, logLevel } = kafkajs;

/**
 * Publishes through the NestJS Kafka client (`ClientKafka`, producer-only) with an idempotent
 * producer and acks from all in-sync replicas; creates the topic with kafkajs' admin client.
 */
@Injectable()
export class KafkaRevocationPublisher implements RevocationPublisher {
  private readonly logger = new Logger('KafkaRevocationPublisher');
  private readonly client: ClientKafka;
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private partitions: number[] = [];

  constructor(@Inject(AUTH_CONFIG) private readonly config: AuthConfig) {
    const logger = this.logger;
    this.client = new ClientKafka({
      client: {
        clientId: 'auth-service',
        brokers: config.kafkaBrokers,
        logLevel: logLevel.WARN,
        logCreator:
          () =>
          ({ namespace, log }) =>
            logger.warn(`kafkajs ${namespace}: ${String(log.message)}`),
        retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 },
      },
      producerOnlyMode: true,
      postfixId: '',
      producer: {
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      },
      send: { acks: -1 },
    });
  }

  async ensureTopic(): Promise<readonly number[]> {
    await this.client.connect();
    const admin = this.client.unwrap<Kafka>().admin();
    await admin.connect();
    try {
      await this.createOrUpdate(admin);
      const metadata = await admin.fetchTopicMetadata({ topics: [this.config.revocationTopic] });
      this.partitions = (metadata.topics[0]?.partitions ?? [])
        .map((p) => p.partitionId)
        .sort((a, b) => a - b);
    } finally {
      await admin.disconnect();
    }
    if (this.partitions.length === 0) throw new Error('the revocation topic has no partitions');
    return this.partitions;
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

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await lastValueFrom(
      this.client.emitBatch(this.config.revocationTopic, {
        messages: messages.map((m) => ({
          partition: m.partition,
          value: m.value,
          headers: { [REVOCATION_HEADERS.contentType]: REVOCATION_CONTENT_TYPE },
        })),
      }),
    );
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async createOrUpdate(admin: Admin): Promise<void> {
    const topic = this.config.revocationTopic;
    const retentionMs = String(
      (this.config.accessTokenTtlSeconds + this.config.topicRetentionMarginSeconds) * 1000,
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
      return;
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
  }
}
