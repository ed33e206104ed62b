import { Logger } from '@nestjs/common';
import { createGameApp } from './bootstrap.js';
import { loadGameConfig } from './game.config.js';

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
