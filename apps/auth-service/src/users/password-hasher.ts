import { hash, verify, type Algorithm } from '@node-rs/argon2';

/** argon2id with the OWASP 2024 minimum (19 MiB, t=2, p=1). */
const OPTIONS = { algorithm: 2 as Algorithm, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export class PasswordHasher {
  /** Verified against when the user does not exist, so both answers take the same time. */
  private readonly decoy = hash('decoy password, never matches', OPTIONS);

  hash(password: string): Promise<string> {
    return hash(password, OPTIONS);
  }

  async verify(passwordHash: string | undefined, password: string): Promise<boolean> {
    try {
      const ok = await verify(passwordHash ?? (await this.decoy), password);
      return ok && passwordHash !== undefined;
    } catch {
      return false;
    }
  }
}
