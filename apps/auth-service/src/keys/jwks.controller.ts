import { Controller, Get, Header } from '@nestjs/common';
import type { JWK } from 'jose';
import { SigningKeys } from './signing-keys.js';

@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeys) {}

  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  jwks(): { keys: JWK[] } {
    return this.keys.jwks();
  }
}
