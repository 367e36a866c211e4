import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';

/** The files of swagger-ui-dist (the UI @nestjs/swagger ships) the page needs, with their types. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Integrations platform API</title>
  <link rel="stylesheet" href="/api/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/api/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/docs/swagger-ui-bundle.js"></script>
  <script src="/api/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/api/docs/swagger-initializer.js"></script>
</body>
</html>`;

/**
 * A file, not an inline script, so the Content-Security-Policy needs no 'unsafe-inline'.
 * `persistAuthorization: false`: a key typed into "Authorize" is not kept in the browser's
 * storage after the page closes.
 */
const initializer = (jsonUrl: string) => `window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(jsonUrl)},
  dom_id: '#swagger-ui',
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
  persistAuthorization: false
});
`;

/**
 * Serves the browsable docs at `/api/docs` from swagger-ui-dist directly: Nest's own UI route
 * needs @fastify/static, which cannot load under Jest's ESM runtime (it requires an ESM-only
 * package), so the same page is served here with fixed routes and no file-system lookup
 * from the URL.
 */
export function serveSwaggerUi(fastify: FastifyInstance, jsonUrl: string): void {
  const root = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  for (const path of ['/api/docs', '/api/docs/']) {
    fastify.get(path, (_request, reply) => {
      void reply.type('text/html; charset=utf-8').send(PAGE);
    });
  }
  const script = initializer(jsonUrl);
  fastify.get('/api/docs/swagger-initializer.js', (_request, reply) => {
    void reply.type('application/javascript; charset=utf-8').send(script);
  });
  for (const [file, type] of Object.entries(ASSETS)) {
    let content: Buffer | undefined;
    fastify.get(`/api/docs/${file}`, (_request, reply) => {
      content ??= readFileSync(join(root, file));
      void reply.type(type).header('cache-control', 'public, max-age=86400').send(content);
    });
  }
}
