import { describe, expect, test } from '@jest/globals';
import { startService } from '#libs/service-kit/src/index.js';
import { integrationService } from '../src/service.js';

describe('configuration', () => {
  const base = {
    NATS_URL: 'nats://127.0.0.1:1',
    DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
    PORT: '0',
    LOG_LEVEL: 'silent',
  };

  test('CREDENTIALS_MASTER_KEY is required: no default key exists', async () => {
    await expect(startService(integrationService, base)).rejects.toThrow(
      /CREDENTIALS_MASTER_KEY is required/,
    );
  });

  test('a master key that is not 32 bytes of base64 is refused before anything connects', async () => {
    await expect(
      startService(integrationService, {
        ...base,
        CREDENTIALS_MASTER_KEY: Buffer.alloc(16).toString('base64'),
      }),
    ).rejects.toThrow(/CREDENTIALS_MASTER_KEY is invalid: expected 32 bytes in base64/);
  });
});
