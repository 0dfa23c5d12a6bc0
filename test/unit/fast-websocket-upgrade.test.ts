import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_RESPONSE_HEAD_BYTES,
  Upgrade,
  acceptKey,
  endpointOf,
  parseUpgradeResponse,
  upgradeRequest,
} from '../../src/transports/fast-websocket/upgrade.js';
import type { ConnectAttempt } from '../../src/transports/transport.js';
import { DEFAULT_CLIENT_TLS } from '../../src/transports/tls.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

test('Sec-WebSocket-Accept of the RFC 6455 example', () => {
  assert.equal(acceptKey(KEY), ACCEPT);
});

const head = (...lines: string[]) => Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
const switching = (...extra: string[]) =>
  head('HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${ACCEPT}`, ...extra);

const responses: { name: string; response: Buffer; offered?: string[]; want: unknown }[] = [
  { name: 'incomplete head', response: Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: webso'), want: null },
  { name: 'accepted', response: switching(), want: { ok: true, protocol: '', rest: '', deflate: null } },
  {
    name: 'accepted, frames right after the head',
    response: Buffer.concat([switching(), Buffer.from([0x81, 0x01, 0x61])]),
    want: { ok: true, protocol: '', rest: '810161', deflate: null },
  },
  {
    name: 'header names in any case',
    response: head('HTTP/1.1 101 Switching Protocols', `sec-websocket-accept: ${ACCEPT}`, 'SEC-WEBSOCKET-PROTOCOL: chat'),
    offered: ['chat'],
    want: { ok: true, protocol: 'chat', rest: '', deflate: null },
  },
  {
    name: 'subprotocol offered and chosen',
    response: switching('Sec-WebSocket-Protocol: v2'),
    offered: ['v1', 'v2'],
    want: { ok: true, protocol: 'v2', rest: '', deflate: null },
  },
  {
    name: 'subprotocol chosen that was not offered',
    response: switching('Sec-WebSocket-Protocol: v3'),
    offered: ['v1'],
    want: { ok: false, kind: 'connect.bad-subprotocol', message: 'server chose subprotocol "v3", which was not offered (offered: v1)' },
  },
  {
    name: 'wrong accept',
    response: head('HTTP/1.1 101 Switching Protocols', 'Sec-WebSocket-Accept: xxxx'),
    want: { ok: false, kind: 'connect.bad-accept', message: 'Sec-WebSocket-Accept does not match the key' },
  },
  {
    name: 'no accept',
    response: head('HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket'),
    want: { ok: false, kind: 'connect.bad-accept', message: 'Sec-WebSocket-Accept does not match the key' },
  },
  {
    name: 'extension that was not offered',
    response: switching('Sec-WebSocket-Extensions: permessage-deflate'),
    want: { ok: false, kind: 'connect.bad-extension', message: 'server chose an extension that was not offered: "permessage-deflate"' },
  },
  {
    name: 'refused with a body',
    response: Buffer.concat([head('HTTP/1.1 500 Internal Server Error', 'Content-Length: 13'), Buffer.from('boom\n  happened')]),
    want: { ok: false, kind: 'connect.http-500', message: 'HTTP 500 Internal Server Error: boom happened' },
  },
  {
    name: 'refused with a chunked body',
    response: Buffer.concat([
      head('HTTP/1.1 404 Not Found', 'Transfer-Encoding: chunked'),
      Buffer.from('3\r\nno \r\n5\r\nroute\r\n0\r\n\r\n'),
    ]),
    want: { ok: false, kind: 'connect.http-404', message: 'HTTP 404 Not Found: no route' },
  },
  {
    name: 'refused without a body',
    response: head('HTTP/1.0 403 Forbidden'),
    want: { ok: false, kind: 'connect.http-403', message: 'HTTP 403 Forbidden' },
  },
  {
    name: 'not HTTP',
    response: head('SSH-2.0-OpenSSH_9.2'),
    want: { ok: false, kind: 'connect.http-bad-response', message: 'HTTP ? SSH-2.0-OpenSSH_9.2' },
  },
  {
    name: 'head longer than the limit',
    response: Buffer.alloc(MAX_RESPONSE_HEAD_BYTES + 1, 0x61),
    want: { ok: false, kind: 'connect.bad-response', message: 'upgrade response headers too long' },
  },
];

for (const r of responses) {
  test(`upgrade response: ${r.name}`, () => {
    const outcome = parseUpgradeResponse(r.response, KEY, r.offered ?? []);
    assert.deepEqual(outcome && outcome.ok ? { ...outcome, rest: outcome.rest.toString('hex') } : outcome, r.want);
  });
}

test('upgrade request: path and query, key, version, subprotocols, extra headers', () => {
  const request = upgradeRequest(new URL('ws://example.test:8080/ws/news?x=1'), KEY, {
    subprotocols: ['a', 'b'],
    headers: { Origin: 'http://example.test', 'X-Token': 't' },
  });
  assert.equal(
    request,
    [
      'GET /ws/news?x=1 HTTP/1.1',
      'Host: example.test:8080',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${KEY}`,
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Protocol: a, b',
      'Origin: http://example.test',
      'X-Token: t',
      '',
      '',
    ].join('\r\n'),
  );
  assert.doesNotMatch(upgradeRequest(new URL('ws://h/'), KEY, { subprotocols: [], headers: {} }), /Protocol/);
});

test('endpoints: default ports, TLS with the host name, IPv6 brackets, source address', () => {
  assert.deepEqual(endpointOf(new URL('ws://h.test/x'), undefined), { host: 'h.test', port: 80, localAddress: undefined, tls: null });
  assert.deepEqual(endpointOf(new URL('wss://h.test/x'), undefined), {
    host: 'h.test',
    port: 443,
    localAddress: undefined,
    tls: { servername: 'h.test', options: DEFAULT_CLIENT_TLS },
  });
  const own = { ca: ['PEM'], rejectUnauthorized: false, resumeSessions: false };
  assert.deepEqual(endpointOf(new URL('wss://h.test:8443/x'), undefined, own).tls, { servername: 'h.test', options: own });
  assert.deepEqual(endpointOf(new URL('ws://[::1]:9000/x'), '::1'), { host: '::1', port: 9000, localAddress: '::1', tls: null });
});

test('an upgrade reads its response across reads into a reused buffer', () => {
  const response = Buffer.concat([switching(), Buffer.from([0x82, 0x00])]);
  const options = { url: 'ws://h/', clientIndex: 0, headers: {}, subprotocols: [], timeoutMs: 1000, maxPayload: 100 };
  // Every cut inside the head: the first read leaves it incomplete.
  for (let cut = 1; cut < switching().length; cut++) {
    const upgrade = new Upgrade(new URL(options.url), options, null as unknown as ConnectAttempt);
    // Our key is random: answer with the accept for it.
    const answer = Buffer.from(response.toString('latin1').replace(ACCEPT, acceptKey(upgrade.key)), 'latin1');
    const shared = Buffer.alloc(answer.length);
    answer.copy(shared, 0, 0, cut);
    assert.equal(upgrade.read(shared, cut), null, `cut at ${cut}`);
    shared.fill(0);
    answer.copy(shared, 0, cut);
    const outcome = upgrade.read(shared, answer.length - cut);
    assert.ok(outcome?.ok, `cut at ${cut}: ${JSON.stringify(outcome)}`);
    assert.deepEqual([...outcome.rest], [0x82, 0x00]);
  }
});

// ─── permessage-deflate in the handshake ────────────────────────────────────────────────────

const BROWSER_OFFER = { offers: [{ clientMaxWindowBits: true as const }], required: false };
const NO_TAKEOVER_OFFER = { offers: [{ serverNoContextTakeover: true, clientMaxWindowBits: true as const }], required: false };
const REQUIRED = { ...BROWSER_OFFER, required: true };

const deflateCases: {
  name: string;
  extensions: string[];
  offer: { offers: { serverNoContextTakeover?: boolean; clientMaxWindowBits: true }[]; required: boolean } | null;
  want: unknown;
}[] = [
  { name: 'not offered, not answered', extensions: [], offer: null, want: null },
  {
    name: 'offered and accepted as asked (takeover both ways)',
    extensions: ['permessage-deflate'],
    offer: BROWSER_OFFER,
    want: { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 },
  },
  {
    name: 'the server adds server_no_context_takeover unasked (RFC 7692 §7.1.1.1)',
    extensions: ['permessage-deflate; server_no_context_takeover; client_max_window_bits=10'],
    offer: BROWSER_OFFER,
    want: { serverNoContextTakeover: true, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 10 },
  },
  {
    name: 'the answer split over two header lines is one list',
    extensions: ['permessage-deflate;', 'x-other'],
    offer: BROWSER_OFFER,
    want: { ok: false, kind: 'connect.bad-extension' },
  },
  { name: 'offered, declined (offer mode): no compression', extensions: [], offer: BROWSER_OFFER, want: null },
  {
    name: 'required and declined',
    extensions: [],
    offer: REQUIRED,
    want: { ok: false, kind: 'connect.compression-declined' },
  },
  {
    name: 'asked for no takeover, the server did not confirm it',
    extensions: ['permessage-deflate'],
    offer: NO_TAKEOVER_OFFER,
    want: { ok: false, kind: 'connect.bad-extension' },
  },
  {
    name: 'window bits out of range',
    extensions: ['permessage-deflate; server_max_window_bits=16'],
    offer: BROWSER_OFFER,
    want: { ok: false, kind: 'connect.bad-extension' },
  },
];

for (const c of deflateCases) {
  test(`upgrade response, permessage-deflate: ${c.name}`, () => {
    const outcome = parseUpgradeResponse(switching(...c.extensions.map((e) => `Sec-WebSocket-Extensions: ${e}`)), KEY, [], c.offer);
    assert.ok(outcome);
    if (outcome.ok) assert.deepEqual(outcome.deflate, c.want);
    else {
      assert.deepEqual({ ok: outcome.ok, kind: outcome.kind }, c.want);
      assert.doesNotMatch(outcome.message, /\n/, 'one line');
    }
  });
}

test('upgrade request: the permessage-deflate offer', () => {
  const request = upgradeRequest(new URL('wss://h.test/x'), KEY, { subprotocols: [], headers: {} }, NO_TAKEOVER_OFFER);
  assert.match(request, /\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits\r\n/);
  assert.doesNotMatch(upgradeRequest(new URL('ws://h/'), KEY, { subprotocols: [], headers: {} }), /Extensions/);
});
