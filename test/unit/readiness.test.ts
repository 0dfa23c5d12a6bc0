import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pollUntilReady } from '../../src/targets/readiness.js';

test('readiness: a check that throws is not ready yet (Redis reconnecting), and its error is the reason at the timeout', async () => {
  let calls = 0;
  await pollUntilReady(
    async () => {
      if (++calls < 3) throw new Error('not connected to Redis');
      return null;
    },
    5000,
    new AbortController().signal,
    'target',
  );
  assert.equal(calls, 3);
  await assert.rejects(
    pollUntilReady(
      async () => {
        throw new Error('boom');
      },
      50,
      new AbortController().signal,
      'target',
    ),
    (e: Error & { code?: string }) =>
      e.code === 'TARGET_NOT_READY' && /target not ready after 50 ms: the check failed: boom/.test(e.message),
  );
});
