import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { freePort, NatsServerFixture, PostgresFixture, waitFor } from '#libs/testing/src/index.js';
import { spawnService, type ServiceProcess } from '../support/service-process.js';
import { serviceEnv } from '../support/service-env.js';

/** JSON log lines of a process's output that carry the given correlation id. */
function linesWith(service: ServiceProcess, correlationId: string) {
  return service
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.correlationId === correlationId);
}

describe('a correlation id follows one request from the gateway across the bus', () => {
  let nats: NatsServerFixture;
  let db: PostgresFixture;
  let gateway: ServiceProcess;
  let integration: ServiceProcess;
  let gatewayUrl: string;
  let token: string;

  beforeAll(async () => {
    nats = await NatsServerFixture.start();
    db = await PostgresFixture.create('correlation');
    const env = serviceEnv(nats, db, {
      LOG_LEVEL: 'debug',
      GITHUB_CONNECT_REQUIRES_INSTALL_FLOW: 'false',
    });
    integration = spawnService('integration-service', { ...env, PORT: String(await freePort()) });
    const gatewayPort = await freePort();
    gateway = spawnService('api-gateway', { ...env, PORT: String(gatewayPort) });
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    await waitFor(
      async () => {
        if (gateway.child.exitCode !== null) throw new Error(`gateway exited: ${gateway.output()}`);
        return (await fetch(`${gatewayUrl}/health/live`)).ok ? true : undefined;
      },
      { timeoutMs: 60_000, what: 'the gateway' },
    );
    const created = execFileSync(
      process.execPath,
      ['dist/scripts/admin.js', 'create-workspace', 'acme', '--owner', 'owner@acme.test'],
      { env: { ...process.env, ...env, LOG_LEVEL: 'silent' }, encoding: 'utf8' },
    );
    token = (JSON.parse(created.trim().split('\n').at(-1)!) as { token: string }).token;
  }, 120_000);

  afterAll(async () => {
    for (const service of [gateway, integration]) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    await nats.dispose();
    await db.dispose();
  });

  test('the id given in X-Correlation-Id is echoed and logged by the gateway and the service', async () => {
    const correlationId = `corr-${randomUUID()}`;
    const response = await fetch(`${gatewayUrl}/api/integrations/github/connect`, {
      method: 'POST',
      headers: {
        authorization: `Token ${token}`,
        'content-type': 'application/json',
        'x-correlation-id': correlationId,
      },
      body: JSON.stringify({ installationId: '12345678', accountLogin: 'acme-org' }),
    });
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get('x-correlation-id')).toBe(correlationId);

    const handled = await waitFor(
      () => {
        const lines = linesWith(integration, correlationId);
        return lines.some((l) => l.msg === 'bus message handled') ? lines : undefined;
      },
      { what: 'the integration service to log the command' },
    );
    expect(handled.find((l) => l.msg === 'bus message handled')).toMatchObject({
      service: 'integration-service',
      message: 'integrations.cmd.connect',
      ok: true,
    });
    const gatewayLines = await waitFor(() => {
      const lines = linesWith(gateway, correlationId);
      return lines.some((l) => l.msg === 'http request handled') ? lines : undefined;
    });
    expect(gatewayLines.find((l) => l.msg === 'http request handled')).toMatchObject({
      service: 'api-gateway',
      method: 'POST',
      status: response.status,
    });
  });
});
