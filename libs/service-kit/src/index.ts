export { kafkaLogCreator } from './kafka-log.js';
export { LOG_LEVELS, levelsFrom, loadLogSettings, type LogSettings } from './log-settings.js';
export { bearerMatches, loadMetricsToken } from './metrics-access.js';
export { requestContext, type RequestContext } from './request-context.js';
export { REQUEST_ID_HEADER, requestIdFor, requestLogging } from './request-logging.js';
export { ServiceLogger } from './service-logger.js';
export { loadSampleConfig, type SampleConfig, type SampleService } from './sample-config.js';
export {
  createServiceRegistry,
  METRICS_REGISTRY,
  MetricsController,
  serviceMetricsModule,
} from './service-metrics.js';
