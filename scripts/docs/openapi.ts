import { randomBytes } from 'node:crypto';
import { startService } from '#libs/service-kit/src/index.js';
import { NatsServerFixture, PostgresFixture } from '#libs/testing/src/index.js';
import { apiGateway } from '../../apps/api-gateway/src/service.js';

/** Where the gateway's OpenAPI document is kept for review. */
export const OPENAPI_PATH = 'docs/openapi.json';

/**
 * The OpenAPI document the gateway serves at `/api/docs-json`, read from a gateway started in
 * this process against its own nats-server and database (the document needs no other service).
 */
export async function servedOpenApi(): Promise<unknown> {
  const nats = await NatsServerFixture.start();
  const db = await PostgresFixture.create('docs_openapi');
  try {
    const env = {
      NATS_URL: nats.url,
      DATABASE_URL: db.url,
      PORT: '0',
      LOG_LEVEL: 'silent',
      GATEWAY_SIGNING_KEY: randomBytes(32).toString('base64'),
    };
    const gateway = await startService(apiGateway as never, env);
    try {
      const response = await fetch(`${gateway.url}/api/docs-json`);
      if (!response.ok) throw new Error(`/api/docs-json answered ${response.status}`);
      return await response.json();
    } finally {
      await gateway.close();
    }
  } finally {
    await nats.dispose();
    await db.dispose();
  }
}

/** The document as it is written to `docs/openapi.json`. */
export const openApiText = (document: unknown) => `${JSON.stringify(document, null, 2)}\n`;
