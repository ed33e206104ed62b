import { Logger } from '@nestjs/common';
import { ServiceLogger } from '@tokenfence/service-kit';
import { createAuthApp, listen } from './bootstrap.js';
import { loadAuthConfig } from './config/auth-config.js';

// JSON lines from the first one, configuration errors included.
Logger.overrideLogger(new ServiceLogger({ level: 'log', format: 'json' }));
try {
  const config = loadAuthConfig();
  const app = await createAuthApp(config);
  app.enableShutdownHooks(['SIGINT', 'SIGTERM']);
  await listen(app, config);
} catch (err) {
  new Logger('AuthService').error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
