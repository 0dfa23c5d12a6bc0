import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseScenarioText } from '../../src/config/load.js';
import { scenarioJsonSchemaText } from '../../src/config/json-schema.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('every shipped scenario is valid and points editors at the JSON Schema', () => {
  const files = readdirSync(`${root}scenarios`).filter((f) => /\.(ya?ml|json)$/.test(f));
  assert.ok(files.includes('quickstart.yaml') && files.includes('ws4redis.yaml'));
  for (const file of files) {
    const text = readFileSync(`${root}scenarios/${file}`, 'utf8');
    assert.doesNotThrow(() => parseScenarioText(text, file), file);
    assert.match(text, /\$schema=\.\.\/schema\/scenario\.schema\.json/, `${file} references the schema`);
  }
});

test('schema/scenario.schema.json is up to date (npm run schema regenerates it)', () => {
  assert.equal(readFileSync(`${root}schema/scenario.schema.json`, 'utf8'), scenarioJsonSchemaText());
});
