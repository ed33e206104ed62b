import { Logger } from '@nestjs/common';
import { ServiceLogger } from '@tokenfence/service-kit';
import { createGameApp } from './bootstrap.js';
import { loadGameConfig } from './game.config.js';

// JSON lines from the first one, configuration errors included.
Logger.overrideLogger(new ServiceLogger({ level: 'log', format: 'json' }));
const logger = new Logger('GameService');
try {
  const config = loadGameConfig();
  const app = await createGameApp(config);
  app.enableShutdownHooks(['SIGINT', 'SIGTERM']);
  await app.listen(config.port, config.host);
  logger.log(`listening on ${await app.getUrl()}`);
} catch (err) {
  logger.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
