import { writeFile } from 'node:fs/promises';
import { OPENAPI_PATH, openApiText, servedOpenApi } from './docs/openapi.js';

/**
 * `npm run docs`: regenerates `docs/openapi.json` from the running gateway. Tests fail while
 * the committed document differs from what the code produces, so API changes show in review.
 */
await writeFile(OPENAPI_PATH, openApiText(await servedOpenApi()));
console.log(`wrote ${OPENAPI_PATH}`);
