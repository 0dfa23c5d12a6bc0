import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyColorFlag, helpWidth, shellLines, shellWords, stackedExampleLines } from '../../src/cli/help.js';

test('helpWidth: the terminal, else $COLUMNS, else 80; never wider than 120', () => {
  const cases: [{ isTTY?: boolean; columns?: number }, Record<string, string>, number][] = [
    [{ isTTY: true, columns: 80 }, {}, 80],
    [{ isTTY: true, columns: 60 }, { COLUMNS: '200' }, 60],
    [{ isTTY: true, columns: 300 }, {}, 120],
    [{}, { COLUMNS: '100' }, 100],
    [{}, { COLUMNS: 'wide' }, 80],
    [{}, {}, 80],
  ];
  for (const [stdout, env, width] of cases) assert.equal(helpWidth(stdout, env), width, JSON.stringify({ stdout, env }));
});

test('shellWords keeps quoted arguments whole', () => {
  assert.deepEqual(shellWords(`wsbench run --target "ws://h:1/ws/{channel}?a b" -x '{"op": "sub"}' -c 5`), [
    'wsbench',
    'run',
    '--target',
    '"ws://h:1/ws/{channel}?a b"',
    '-x',
    `'{"op": "sub"}'`,
    '-c',
    '5',
  ]);
});

test('shellLines: breaks between words with a backslash, every line fits, a URL is never split', () => {
  const url = '"ws://127.0.0.1:8000/ws/{channel}?subscribe-broadcast"';
  const command = `wsbench run --target ${url} --redis redis://127.0.0.1:6379 -c 100 -r 50 -d 10s`;
  for (const width of [40, 60, 80, 120]) {
    const lines = shellLines(command, width);
    assert.equal(lines.map((l) => l.replace(/ \\$/, '')).join(' '), command, `width ${width}`);
    for (const line of lines.slice(0, -1)) assert.match(line, / \\$/);
    for (const line of lines) if (!line.includes(url)) assert.ok(line.length <= width - 4, `${width}: "${line}"`);
    assert.ok(
      lines.some((l) => l.includes(url)),
      'the URL stays in one piece',
    );
  }
  assert.deepEqual(shellLines('wsbench doctor', 80), ['wsbench doctor']);
});

test('stackedExampleLines: the description as a comment above its command', () => {
  assert.deepEqual(
    stackedExampleLines(
      [
        ['wsbench run a.yaml', 'Run it'],
        ['wsbench doctor', undefined],
      ],
      80,
    ),
    ['# Run it', 'wsbench run a.yaml', 'wsbench doctor'],
  );
});

test('applyColorFlag: --no-color and --color win over NO_COLOR / FORCE_COLOR; absent leaves them', () => {
  const cases: [boolean | undefined, Record<string, string | undefined>, Record<string, string | undefined>][] = [
    [false, { FORCE_COLOR: '1' }, { NO_COLOR: '1' }],
    [true, { NO_COLOR: '1' }, { FORCE_COLOR: '1' }],
    [undefined, { NO_COLOR: '1' }, { NO_COLOR: '1' }],
    [undefined, {}, {}],
  ];
  for (const [flag, before, after] of cases) {
    const env = { ...before };
    applyColorFlag(flag, env);
    assert.deepEqual(env, after, `${flag} ${JSON.stringify(before)}`);
  }
});
