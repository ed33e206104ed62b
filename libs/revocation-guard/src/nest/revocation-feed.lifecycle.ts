import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { RevocationFeed } from '../core/revocation-feed.js';

/** Starts the feed with the application (without blocking it) and stops it on shutdown. */
@Injectable()
export class RevocationFeedLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RevocationFeed');

  constructor(private readonly feed: RevocationFeed) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.feed.start();
    this.logger.log('revocation feed started; not ready until caught up');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.feed.stop();
  }
}
