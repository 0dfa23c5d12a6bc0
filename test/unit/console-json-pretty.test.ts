import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prettyJson } from '../../src/console/json-pretty.js';

test('prettyJson keeps number literals exactly and indents by two spaces', () => {
  const table: [string, string | null][] = [
    [
      '{"id":12345678901234567890123,"x":0.1000000000000000055511151231257827}',
      '{\n  "id": 12345678901234567890123,\n  "x": 0.1000000000000000055511151231257827\n}',
    ],
    ['[1, 2e400, -0.0]', '[\n  1,\n  2e400,\n  -0.0\n]'],
    ['{"a":{},"b":[ ],"c":[{"d":null}]}', '{\n  "a": {},\n  "b": [],\n  "c": [\n    {\n      "d": null\n    }\n  ]\n}'],
    ['{"s":"a,b:{c}\\"]"}', '{\n  "s": "a,b:{c}\\"]"\n}'],
    ['  {"t":true,"f":false}  ', '{\n  "t": true,\n  "f": false\n}'],
    ['hello', null],
    ['42', null],
    ['"text"', null],
    ['{"a":1', null],
    ['{a:1}', null],
  ];
  for (const [input, expected] of table) assert.equal(prettyJson(input), expected, input);
});
