import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AuthConfig } from '../config/auth-config.js';

const WHAT: Record<AuthConfig['mode'], string> = {
  full: 'Issues access and refresh tokens and publishes every revocation to Kafka.',
  'signals-hub':
    "A signals hub: publishes identity providers' signals to Kafka as revocations of their tokens.",
};

/** Serves the OpenAPI document at `/docs` (UI) and `/docs-json`. */
export function serveOpenApi(app: INestApplication, config: AuthConfig): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('tokenfence auth-service')
      .setDescription(
        `${WHAT[config.mode]} Every error is \`{code, message}\` (plus \`fields\` for validation).`,
      )
      .setVersion('0.1.0')
      .addServer(config.issuer)
      .addBearerAuth()
      .addBasicAuth({ type: 'http', scheme: 'basic' }, 'client')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
