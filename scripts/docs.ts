import { writeFile } from 'node:fs/promises';
import { ASYNCAPI_PATH, asyncApiText } from './docs/asyncapi.js';
import { OPENAPI_PATH, openApiText, servedOpenApi } from './docs/openapi.js';

/**
 * `npm run docs`: regenerates `docs/openapi.json` from the running gateway and
 * `docs/asyncapi.yaml` from the contracts. Tests fail while a committed document differs from
 * what the code produces, so API and bus changes show in review.
 */
await writeFile(OPENAPI_PATH, openApiText(await servedOpenApi()));
await writeFile(ASYNCAPI_PATH, asyncApiText());
console.log(`wrote ${OPENAPI_PATH} and ${ASYNCAPI_PATH}`);
