import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AuthConfig } from '../config/auth-config.js';

/** Serves the OpenAPI document at `/docs` (UI) and `/docs-json`. */
export function serveOpenApi(app: INestApplication, config: AuthConfig): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('tokenfence auth-service')
      .setDescription(
        'Issues access and refresh tokens and publishes every revocation to Kafka. Every error is `{code, message}` (plus `fields` for validation).',
      )
      .setVersion('0.1.0')
      .addServer(config.issuer)
      .addBearerAuth()
      .addBasicAuth({ type: 'http', scheme: 'basic' }, 'client')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
