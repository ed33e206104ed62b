import { Catch, Logger, type ExceptionFilter } from '@nestjs/common';
import { of, type Observable } from 'rxjs';
import { RpcEventRefusedException } from './rpc-transport.js';

interface KafkaContextLike {
  getMessage(): { offset?: string };
  getTopic(): string;
  getPartition(): number;
  getConsumer(): {
    commitOffsets(offsets: { topic: string; partition: number; offset: string }[]): Promise<void>;
  };
}

const isKafkaContext = (value: unknown): value is KafkaContextLike =>
  typeof value === 'object' &&
  value !== null &&
  ['getMessage', 'getTopic', 'getPartition', 'getConsumer'].every(
    (name) => typeof (value as Record<string, unknown>)[name] === 'function',
  );

/**
 * Installed by the module: an event the guard refused ends as a handled event, an observable of
 * `undefined`, without running the handler. Nest's rpc filter would turn the refusal into an
 * error stream, which ServerKafka awaits and hands to kafkajs: kafkajs would then redeliver the
 * message, and the guard refuse it again, for ever. Here the offset is resolved as for any
 * handled message, and committed at once as well (also with `autoCommit: false`).
 */
@Catch(RpcEventRefusedException)
export class RpcEventRefusalFilter implements ExceptionFilter<RpcEventRefusedException> {
  private readonly logger = new Logger('RevocationGuard');

  async catch(exception: RpcEventRefusedException): Promise<Observable<undefined>> {
    const context = exception.rpcMessage.context;
    if (exception.rpcMessage.transport === 'kafka' && isKafkaContext(context)) {
      const offset = context.getMessage().offset;
      if (offset !== undefined) {
        const next = (BigInt(offset) + 1n).toString();
        try {
          await context
            .getConsumer()
            .commitOffsets([
              { topic: context.getTopic(), partition: context.getPartition(), offset: next },
            ]);
        } catch (err) {
          // kafkajs still resolves the offset and, with autoCommit, commits it after the batch.
          this.logger.warn(
            `could not commit offset ${next} of ${context.getTopic()}[${context.getPartition()}] ` +
              `after a refused event: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
      }
    }
    return of(undefined);
  }
}
