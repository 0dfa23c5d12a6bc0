/**
 * One error model: every code is documented with its exit code, anything thrown becomes a
 * WsbenchError with a cause, and the error kinds counted in reports keep to their prefixes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, ERROR_CODES, WsbenchError, asWsbenchError, isErrorCode } from '../../src/errors.js';
import { ERROR_KIND_PREFIXES, connectErrorKind, socketClosedKind } from '../../src/results/error-kinds.js';
import { ConnectAttempt, TransportError } from '../../src/transports/transport.js';
import { ThresholdSyntaxError, parseThreshold } from '../../src/gate/expression.js';

const README = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');

test('the README lists every error code with its exit code, and no other', () => {
  const section = README.slice(README.indexOf('## Error codes'));
  const rows = [...section.matchAll(/^\| `([A-Z_]+)` \| (\d+) \|/gm)].map((m) => [m[1], Number(m[2])]);
  assert.deepEqual(
    rows,
    Object.entries(ERROR_CODES).map(([code, { exit }]) => [code, exit]),
  );
});

test('the README lists every error-kind prefix', () => {
  for (const prefix of Object.keys(ERROR_KIND_PREFIXES)) assert.match(README, new RegExp(`^\\| \`${prefix}\\.\` \\|`, 'm'), prefix);
});

test('asWsbenchError keeps a WsbenchError and wraps anything else with its cause', () => {
  const own = new WsbenchError('TARGET_NOT_READY', 'not ready');
  assert.equal(asWsbenchError(own), own);
  const plain = new Error('boom');
  const wrapped = asWsbenchError(plain);
  assert.equal(wrapped.code, 'INTERNAL');
  assert.equal(wrapped.exitCode, 70);
  assert.equal(wrapped.message, 'boom');
  assert.equal(wrapped.cause, plain);
  assert.equal(asWsbenchError('text', 'SETUP').message, 'text');
  assert.equal(asWsbenchError('text', 'SETUP').exitCode, 3);
  assert.equal(isErrorCode('CONFIG'), true);
  assert.equal(isErrorCode('toString'), false);
  assert.equal(isErrorCode(7), false);
});

test('thresholds and transports throw WsbenchErrors too', () => {
  assert.throws(
    () => parseThreshold('fanout.p99 <'),
    (e: unknown) => e instanceof ThresholdSyntaxError && e instanceof ConfigError && e.code === 'CONFIG' && e.exitCode === 2,
  );
  const failed = new TransportError('connect.ECONNREFUSED', 'refused');
  assert.ok(failed instanceof WsbenchError);
  assert.equal(failed.code, 'CONNECT_FAILED');
  assert.equal(failed.kind, 'connect.ECONNREFUSED');
});

test('error kinds keep their prefix', () => {
  const cases: [string, string][] = [
    ['ECONNREFUSED', 'connect.ECONNREFUSED'],
    ['connect.timeout', 'connect.timeout'],
    ['http-404', 'connect.http-404'],
  ];
  for (const [detail, kind] of cases) assert.equal(connectErrorKind(detail), kind);
  assert.equal(socketClosedKind(1001, true), 'socket.closed-1001');
  assert.equal(socketClosedKind(1006, false), 'socket.dropped-1006');
});

test('a connect attempt fails once, under a connect kind, and times out on its own', async () => {
  let aborted = 0;
  const failure = new Promise<void>((resolve, reject) => {
    const attempt = new ConnectAttempt(10_000, () => aborted++, resolve, reject);
    attempt.fail('bad-response', 'first');
    attempt.fail('connect.other', 'second');
    attempt.succeed();
  });
  await assert.rejects(failure, (e: TransportError) => e.kind === 'connect.bad-response' && e.message === 'first');
  assert.equal(aborted, 1);
  const timedOut = new Promise<void>((resolve, reject) => new ConnectAttempt(5, () => {}, resolve, reject));
  await assert.rejects(timedOut, (e: TransportError) => e.kind === 'connect.timeout');
});
