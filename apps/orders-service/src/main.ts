import { Logger } from '@nestjs/common';
import { ServiceLogger } from '@tokenfence/service-kit';
import { createOrdersApp } from './bootstrap.js';
import { loadOrdersConfig } from './orders.config.js';

// JSON lines from the first one, configuration errors included.
Logger.overrideLogger(new ServiceLogger({ level: 'log', format: 'json' }));
try {
  const config = loadOrdersConfig();
  const app = await createOrdersApp(config);
  app.enableShutdownHooks(['SIGINT', 'SIGTERM']);
  await app.listen(config.port, config.host);
  new Logger('OrdersService').log(`listening on ${await app.getUrl()}`);
} catch (err) {
  new Logger('OrdersService').error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
