import { describe, expect, it } from '@jest/globals';
import kafkajs from 'kafkajs';
import { answerNow, waitRejected } from './support/downstream.js';
import { useSystem } from './support/use-system.js';
import { loggedIn, logout } from './support/users.js';
import { waitFor } from './support/wait-for.js';

/**
 * The topic is deleted and created again (an operator's mistake, a cluster rebuilt): what it held
 * is gone. The relay notices on its next publish and republishes every revocation that still
 * matters; running instances go on enforcing, and an instance started afterwards knows them all.
 */
describe('a deleted and recreated topic', () => {
  const system = useSystem({ database: 'embedded' });

  it('loses no revocation, for running instances or later ones', async () => {
    const before = await loggedIn(system.auth.url, 'before-loss');
    await waitRejected(system.orders, before.access_token, await logout(system.auth.url, before));

    const admin = new kafkajs.Kafka({
      clientId: 'topic-loss-test',
      brokers: system.brokers.split(','),
      logLevel: kafkajs.logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      const [described] = (await admin.fetchTopicMetadata({ topics: [system.topic] })).topics;
      const partitions = described?.partitions.length ?? 0;
      expect(partitions).toBeGreaterThan(0);
      await admin.deleteTopics({ topics: [system.topic], timeout: 10_000 });
      await waitFor(
        'the topic to be gone',
        async () => ((await admin.listTopics()).includes(system.topic) ? undefined : true),
        { timeoutMs: 20_000, intervalMs: 100 },
      );
      // Recreated at once, empty, as an operator would (the relay may beat us to it: fine too).
      await admin
        .createTopics({
          waitForLeaders: true,
          topics: [{ topic: system.topic, numPartitions: partitions }],
        })
        .catch(() => undefined);
    } finally {
      await admin.disconnect();
    }

    const after = await loggedIn(system.auth.url, 'after-loss');
    const loggedOutAt = await logout(system.auth.url, after);
    await waitRejected(system.orders, after.access_token, loggedOutAt, 60_000);
    await waitRejected(system.game, after.access_token, loggedOutAt, 60_000);
    // Running instances keep what they had applied from the deleted topic.
    expect(await answerNow(system.orders, before.access_token)).toEqual({
      status: 401,
      code: 'TOKEN_REVOKED',
    });

    const late = await system.startDownstream('game');
    await system.waitReady(late, 60_000);
    await waitRejected(late, before.access_token, Date.now(), 30_000);
    expect(await answerNow(late, after.access_token)).toEqual({
      status: 401,
      code: 'TOKEN_REVOKED',
    });
  });
});
