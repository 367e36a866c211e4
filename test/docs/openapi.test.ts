import { readFile } from 'node:fs/promises';
import { describe, expect, test } from '@jest/globals';
import { OPENAPI_PATH, openApiText, servedOpenApi } from '../../scripts/docs/openapi.js';

describe('docs/openapi.json', () => {
  test('is what the gateway serves at /api/docs-json (regenerate with npm run docs)', async () => {
    const served = openApiText(await servedOpenApi());
    const committed = await readFile(OPENAPI_PATH, 'utf8');
    expect(committed).toBe(served);
  }, 120_000);
});
