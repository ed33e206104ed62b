import { Controller, Get, Inject } from '@nestjs/common';
import { DATABASE, type Database } from '../database/database.js';
import { AuthError } from '../errors/auth-error.js';

@Controller('health')
export class HealthController {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Liveness: 200 while the process serves HTTP, whatever its dependencies say. */
  @Get('live')
  live(): { status: 'live' } {
    return { status: 'live' };
  }

  /** 200 once the database is migrated and answering; the app only listens after migration. */
  @Get('ready')
  async ready(): Promise<{ status: 'ready'; database: string }> {
    try {
      await this.db.query('SELECT 1');
    } catch {
      throw new AuthError('NOT_READY', 'The database is not reachable.');
    }
    return { status: 'ready', database: this.db.kind };
  }
}
