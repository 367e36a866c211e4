import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import { serveSwaggerUi } from './swagger-ui.js';

/**
 * OpenAPI 3 generated from the controllers' decorators: the JSON at `/api/docs-json`, a browsable
 * Swagger UI at `/api/docs`. Both are public (they describe, they do not serve data).
 */
export function setupOpenApi(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Integrations platform API')
    .setDescription(
      'Connect providers, inspect their checks and actions, manage rules, members and API keys. ' +
        'Authenticate with `Authorization: Token <key>` (or `Bearer <key>`). Errors under /api are ' +
        '`{ "error": { "code", "message", "details" } }`.',
    )
    .setVersion('1.0')
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Token <key>' },
      'token',
    )
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Bearer <key>' }, 'bearer')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('api/docs', app, document, {
    ui: false,
    jsonDocumentUrl: 'api/docs-json',
    yamlDocumentUrl: 'api/docs-yaml',
  });
  serveSwaggerUi(
    app.getHttpAdapter().getInstance() as unknown as FastifyInstance,
    '/api/docs-json',
  );
}
