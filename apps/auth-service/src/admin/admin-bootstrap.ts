import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { PasswordHasher } from '../users/password-hasher.js';
import { UsersRepository } from '../users/users.repository.js';

/** Creates the first admin from ADMIN_USERNAME / ADMIN_PASSWORD when that user does not exist. */
@Injectable()
export class AdminBootstrap implements OnModuleInit {
  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  async onModuleInit(): Promise<void> {
    const admin = this.config.admin;
    if (!admin || (await this.users.findByUsername(admin.username))) return;
    const created = await this.users.insert({
      id: randomUUID(),
      username: admin.username,
      passwordHash: await this.hasher.hash(admin.password),
      scope: `${this.config.defaultScope} admin`.trim(),
    });
    if (created) new Logger('AdminBootstrap').log(`created the first admin "${admin.username}"`);
  }
}
