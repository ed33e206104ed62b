import { loadSampleConfig, type SampleConfig } from '@tokenfence/service-kit';

export type OrdersConfig = SampleConfig;

/** Injection token of {@link OrdersConfig}. */
export const ORDERS_CONFIG = Symbol('ORDERS_CONFIG');

/** Reads the environment once at start-up (the samples' shared loader); the library never does. */
export function loadOrdersConfig(
  env: Record<string, string | undefined> = process.env,
): OrdersConfig {
  return loadSampleConfig(env, { name: 'orders-service', defaultPort: 3001, metrics: true });
}
