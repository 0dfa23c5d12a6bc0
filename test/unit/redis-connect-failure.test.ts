/**
 * connectFailure (src/redis/connect-failure.ts): what ioredis reported while connecting, in one
 * line that names the cause. The errors are shaped as ioredis and Node produce them (code and
 * message as seen from a real redis-server, a plain TCP peer and a TLS mismatch; see
 * test/integration/redis-connect-errors.test.ts for the real ones).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectFailure, databaseFailure, type ConnectAttemptFacts, type DatabaseAttemptFacts } from '../../src/redis/connect-failure.js';

const err = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});
const CLOSED = new Error('Connection is closed.');
const base: ConnectAttemptFacts = { error: CLOSED, timedOut: false, connected: false, timeoutMs: 5000, tls: false };

test('connectFailure: the cause, not "Connection is closed."', () => {
  const cases: [string, Partial<ConnectAttemptFacts>, string][] = [
    ['refused', { error: err('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED') }, 'connection refused (ECONNREFUSED)'],
    ['reset', { error: err('read ECONNRESET', 'ECONNRESET') }, 'connection reset by the server (ECONNRESET)'],
    ['closed at once', { error: err('write EPIPE', 'EPIPE') }, 'connection closed by the server (EPIPE)'],
    ['no such host', { error: err('getaddrinfo ENOTFOUND nohost.invalid', 'ENOTFOUND') }, 'host not found (ENOTFOUND)'],
    ['no such socket', { error: err('connect ENOENT /tmp/none.sock', 'ENOENT') }, 'no such socket file (ENOENT)'],
    [
      'wrong password',
      { error: err('WRONGPASS invalid username-password pair or user is disabled.') },
      'authentication failed: WRONGPASS invalid username-password pair or user is disabled.',
    ],
    [
      'no password',
      { error: err('NOAUTH Authentication required.') },
      "authentication required: NOAUTH Authentication required. (give it in the URL's userinfo: a password, or a user and a password)",
    ],
    [
      'an ERR reply',
      { error: err('ERR max number of clients reached') },
      'Redis refused the connection: ERR max number of clients reached',
    ],
    [
      'not Redis',
      { error: err('Protocol error, got "H" as reply type byte. Please report this.') },
      'not a Redis server (Protocol error, got "H" as reply type byte.); if it expects TLS, use rediss://',
    ],
    [
      'not Redis, over TLS',
      { tls: true, error: err('Protocol error, got "H" as reply type byte. Please report this.') },
      'not a Redis server (Protocol error, got "H" as reply type byte.)',
    ],
    ['connect timeout', { error: err('connect ETIMEDOUT', 'ETIMEDOUT') }, 'no connection within 5000 ms (ETIMEDOUT)'],
    ['TLS to a plain port', { tls: true, timedOut: true }, 'no connection within 5000 ms (ETIMEDOUT); rediss:// needs a TLS port'],
    ['our bound, never connected', { timedOut: true }, 'no connection within 5000 ms (ETIMEDOUT)'],
    [
      'our bound, connected, silent',
      { timedOut: true, connected: true },
      'connected, but no reply within 5000 ms: is it a Redis server, or one that expects TLS (rediss://)?',
    ],
    ['silent over TLS', { timedOut: true, connected: true, tls: true }, 'connected, but no reply within 5000 ms: is it a Redis server?'],
    [
      'self-signed',
      { tls: true, error: err('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT') },
      'TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)',
    ],
    [
      'another name',
      {
        tls: true,
        error: err(
          "Hostname/IP does not match certificate's altnames: IP: 10.0.0.1 is not in the cert's list: 127.0.0.1",
          'ERR_TLS_CERT_ALTNAME_INVALID',
        ),
      },
      "TLS: Hostname/IP does not match certificate's altnames: IP: 10.0.0.1 is not in the cert's list: 127.0.0.1 (ERR_TLS_CERT_ALTNAME_INVALID)",
    ],
    [
      'expired',
      { tls: true, error: err('certificate has expired', 'CERT_HAS_EXPIRED') },
      'TLS: certificate has expired (CERT_HAS_EXPIRED)',
    ],
    [
      'plain peer answering TLS',
      {
        tls: true,
        error: err(
          '806C8589EB7F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n',
          'ERR_SSL_WRONG_VERSION_NUMBER',
        ),
      },
      'TLS: wrong version number (ERR_SSL_WRONG_VERSION_NUMBER): the port does not speak TLS?',
    ],
    ['an unknown code', { error: err('something odd', 'EWHATEVER') }, 'something odd (EWHATEVER)'],
    ['only ioredis words', {}, 'Connection is closed.'],
    ['nothing at all', { error: undefined }, 'connection closed before Redis was ready'],
  ];
  for (const [name, facts, expected] of cases) assert.equal(connectFailure({ ...base, ...facts }), expected, name);
});

test("databaseFailure: the URL's database number the server refuses, with what it has", () => {
  const OUT_OF_RANGE = err('ERR DB index is out of range');
  const cases: [string, DatabaseAttemptFacts, string][] = [
    [
      'beyond the default 16',
      { db: 99, error: OUT_OF_RANGE, databases: 16 },
      'database 99 does not exist: the server has 16 (0 to 15; "databases" in redis.conf)',
    ],
    [
      'one database only',
      { db: 1, error: OUT_OF_RANGE, databases: 1 },
      'database 1 does not exist: the server has 1 (0 to 0; "databases" in redis.conf)',
    ],
    [
      "CONFIG refused: the server's words",
      { db: 99, error: OUT_OF_RANGE, databases: null },
      'database 99 does not exist (ERR DB index is out of range)',
    ],
    [
      'negative',
      { db: -1, error: OUT_OF_RANGE, databases: 16 },
      'database -1 does not exist: the server has 16 (0 to 15; "databases" in redis.conf)',
    ],
    [
      'cluster mode',
      { db: 2, error: err('ERR SELECT is not allowed in cluster mode'), databases: 16 },
      'cannot select database 2: ERR SELECT is not allowed in cluster mode',
    ],
    [
      'an ACL without SELECT',
      { db: 2, error: err("NOPERM User app has no permissions to run the 'select' command"), databases: null },
      "cannot select database 2: NOPERM User app has no permissions to run the 'select' command",
    ],
    ['no words at all', { db: 2, error: undefined, databases: null }, 'cannot select database 2: no reason given'],
  ];
  for (const [name, facts, expected] of cases) assert.equal(databaseFailure(facts), expected, name);
});
