import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { GuardComponents } from '../core/guard-components.js';
import { GUARD_COMPONENTS } from './revocation-guard.module-definition.js';

/**
 * Starts the feed with the application (without blocking it); on shutdown stops it and takes the
 * guard's metrics out of the app's registry.
 */
@Injectable()
export class RevocationFeedLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RevocationFeed');

  constructor(@Inject(GUARD_COMPONENTS) private readonly components: GuardComponents) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.components.start();
    this.logger.log('revocation feed started; not ready until caught up');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.components.close();
  }
}
