/** Each deployment its own topics (and consumer group): `KAFKA_TOPIC_PREFIX`, e.g. `staging.`. */
export const PREFIX = process.env.KAFKA_TOPIC_PREFIX ?? '';

export const TOPICS = {
  get: `${PREFIX}orders.get`,
  audit: `${PREFIX}orders.audit`,
  created: `${PREFIX}orders.created`,
};
