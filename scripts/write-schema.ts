/** Regenerates schema/scenario.schema.json (npm run schema). A test fails when it is stale. */
import { writeFileSync } from 'node:fs';
import { scenarioJsonSchemaText } from '../src/config/json-schema.js';

const target = new URL('../../schema/scenario.schema.json', import.meta.url);
writeFileSync(target, scenarioJsonSchemaText());
console.log(`wrote ${target.pathname}`);
