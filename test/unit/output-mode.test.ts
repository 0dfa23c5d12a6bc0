import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseOutputMode, colorEnabled, type ModeInputs, type OutputMode } from '../../src/ui/mode.js';

const TTY = { stdoutIsTTY: true, env: { TERM: 'xterm-256color' } };
const PIPE = { stdoutIsTTY: false, env: { TERM: 'xterm-256color' } };

const modes: { name: string; input: ModeInputs; mode: OutputMode; color: boolean }[] = [
  { name: 'terminal', input: TTY, mode: 'tui', color: true },
  { name: 'pipe', input: PIPE, mode: 'plain', color: false },
  { name: '--no-tui in a terminal', input: { ...TTY, tui: false }, mode: 'plain', color: true },
  { name: '--tui does not beat a pipe', input: { ...PIPE, tui: true }, mode: 'plain', color: false },
  { name: 'TERM=dumb', input: { stdoutIsTTY: true, env: { TERM: 'dumb' } }, mode: 'plain', color: false },
  { name: 'CI=true', input: { stdoutIsTTY: true, env: { TERM: 'xterm', CI: 'true' } }, mode: 'plain', color: true },
  { name: 'CI=1', input: { stdoutIsTTY: true, env: { TERM: 'xterm', CI: '1' } }, mode: 'plain', color: true },
  { name: 'CI=false is not CI', input: { stdoutIsTTY: true, env: { TERM: 'xterm', CI: 'false' } }, mode: 'tui', color: true },
  { name: 'CI=0 is not CI', input: { stdoutIsTTY: true, env: { TERM: 'xterm', CI: '0' } }, mode: 'tui', color: true },
  {
    name: 'CONTINUOUS_INTEGRATION',
    input: { stdoutIsTTY: true, env: { TERM: 'xterm', CONTINUOUS_INTEGRATION: '1' } },
    mode: 'plain',
    color: true,
  },
  { name: '--quiet in a terminal', input: { ...TTY, quiet: true }, mode: 'quiet', color: true },
  { name: '--quiet piped', input: { ...PIPE, quiet: true }, mode: 'quiet', color: false },
  { name: '--json in a terminal: never colour', input: { ...TTY, json: true }, mode: 'json', color: false },
  { name: '--json beats --quiet and --no-tui', input: { ...PIPE, json: true, quiet: true, tui: false }, mode: 'json', color: false },
  {
    name: 'NO_COLOR in a terminal: dashboard without colour',
    input: { stdoutIsTTY: true, env: { TERM: 'xterm', NO_COLOR: '1' } },
    mode: 'tui',
    color: false,
  },
  { name: 'NO_COLOR empty is ignored', input: { stdoutIsTTY: true, env: { TERM: 'xterm', NO_COLOR: '' } }, mode: 'tui', color: true },
  { name: 'FORCE_COLOR piped', input: { stdoutIsTTY: false, env: { FORCE_COLOR: '1' } }, mode: 'plain', color: true },
  { name: 'FORCE_COLOR empty piped', input: { stdoutIsTTY: false, env: { FORCE_COLOR: '' } }, mode: 'plain', color: true },
  {
    name: 'FORCE_COLOR=0 in a terminal',
    input: { stdoutIsTTY: true, env: { TERM: 'xterm', FORCE_COLOR: '0' } },
    mode: 'tui',
    color: false,
  },
  {
    name: 'FORCE_COLOR=false in a terminal',
    input: { stdoutIsTTY: true, env: { TERM: 'xterm', FORCE_COLOR: 'false' } },
    mode: 'tui',
    color: false,
  },
  {
    name: 'FORCE_COLOR beats NO_COLOR (as in Node)',
    input: { stdoutIsTTY: false, env: { FORCE_COLOR: '1', NO_COLOR: '1' } },
    mode: 'plain',
    color: true,
  },
  { name: 'no TERM at all in a terminal', input: { stdoutIsTTY: true, env: {} }, mode: 'tui', color: true },
];

for (const c of modes) {
  test(`output mode: ${c.name} → ${c.mode}, colour ${c.color ? 'on' : 'off'}`, () => {
    const choice = chooseOutputMode(c.input);
    assert.equal(choice.mode, c.mode, choice.reason);
    assert.equal(choice.color, c.color);
  });
}

test('output mode: ASCII charts only for TERM=dumb', () => {
  assert.equal(chooseOutputMode({ stdoutIsTTY: false, env: { TERM: 'dumb' } }).unicode, false);
  assert.equal(chooseOutputMode(PIPE).unicode, true);
  assert.equal(chooseOutputMode(TTY).unicode, true);
});

test('output mode: the reason names what decided it', () => {
  assert.equal(chooseOutputMode(PIPE).reason, 'stdout is not a terminal');
  assert.equal(chooseOutputMode({ ...TTY, tui: false }).reason, '--no-tui');
});

test('colour: a pipe has none unless forced', () => {
  assert.equal(colorEnabled(false, {}), false);
  assert.equal(colorEnabled(false, { FORCE_COLOR: '3' }), true);
  assert.equal(colorEnabled(true, { TERM: 'dumb' }), false);
});
