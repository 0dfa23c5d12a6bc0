/**
 * The pure parts of TLS and compression: TLS failures named by cause, the report's account of
 * what was negotiated, the clients' compression settings, JSON-like padding, the like-for-like
 * facts and warnings, and the scenario keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tlsFailure } from '../../src/transports/tls.js';
import { connectionReport } from '../../src/engine/connection-report.js';
import { clientCompression } from '../../src/engine/connection-settings.js';
import { PLAIN_PROTOCOL, type ClientProtocolSpec } from '../../src/targets/client-protocol.js';
import { jsonPaddings } from '../../src/metrics/json-padding.js';
import { StampReader, StampStatus, StampWriter, STAMP_BINARY_BYTES } from '../../src/metrics/stamp.js';
import { compressionText, tlsText } from '../../src/reporters/connection-text.js';
import { connectionDifferences, connectionFacts, connectionMismatchWarning } from '../../src/gate/scenario-diff.js';
import { scenarioFacts } from '../../src/api/scenario-facts.js';
import { parseScenarioText } from '../../src/config/load.js';
import { describeDeflateParams } from '../../src/transports/compression.js';
import { deflateRawSync } from 'node:zlib';
import type { TransportReport } from '../../src/results/types.js';

test('tlsFailure: Node error codes → one kind and one line naming the cause', () => {
  const cases: [code: string, message: string, kind: string | null, cause: RegExp | null, reason?: string][] = [
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate', 'connect.tls-unknown-ca', /self-signed and not trusted.*clients\.tls\.ca/],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain', 'connect.tls-unknown-ca', /not signed by a trusted CA/],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate', 'connect.tls-unknown-ca', /not signed by a trusted CA/],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unable to get local issuer certificate', 'connect.tls-unknown-ca', /trusted CA/],
    ['CERT_HAS_EXPIRED', 'certificate has expired', 'connect.tls-expired', /has expired \(CERT_HAS_EXPIRED\)$/],
    ['CERT_NOT_YET_VALID', 'certificate is not yet valid', 'connect.tls-not-yet-valid', /not valid yet/],
    [
      'ERR_TLS_CERT_ALTNAME_INVALID',
      "Hostname/IP does not match certificate's altnames: Host: a.test. is not in the cert's altnames: DNS:b.test",
      'connect.tls-name-mismatch',
      /does not match the host name: Host: a\.test\. is not in the cert's altnames: DNS:b\.test \(ERR_TLS/,
      "Host: a.test. is not in the cert's altnames: DNS:b.test",
    ],
    [
      'EPROTO',
      '8000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/ssl/record/ssl3_record.c:350:\n',
      'connect.tls-protocol',
      /does not speak TLS at all.*ws:\/\/ \(plain\) server behind a wss:\/\/ URL/,
    ],
    ['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'tlsv1 alert protocol version', 'connect.tls-protocol', /no TLS version in common/],
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'certificate required', 'connect.tls-client-certificate', /requires one.*--cert/],
    [
      'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
      'handshake failure',
      'connect.tls-handshake',
      /no cipher suite or key exchange group in common/,
    ],
    ['ERR_SSL_SOMETHING_NEW', 'something new happened', 'connect.tls-handshake', /something new happened/],
    ['ECONNREFUSED', 'connect ECONNREFUSED', null, null],
    ['ECONNRESET', 'socket hang up', null, null],
  ];
  for (const [code, message, kind, cause, reason] of cases) {
    const failure = tlsFailure({ code, message, ...(reason ? { reason } : {}) }, 'h.test:443');
    if (kind === null) {
      assert.equal(failure, null, code);
      continue;
    }
    assert.ok(failure, code);
    assert.equal(failure.kind, kind, code);
    assert.match(failure.message, /^TLS handshake with h\.test:443 failed: /, code);
    assert.match(failure.message, cause!, `${code}: ${failure.message}`);
    assert.doesNotMatch(failure.message, /\n/, code);
  }
});

const report = (over: Partial<Parameters<typeof connectionReport>[0]> = {}) =>
  connectionReport({
    facts: [],
    compressionMode: 'off',
    payloadSize: 1024,
    delivered: 1000,
    opened: 10,
    wire: { bytesIn: 1_100_000, bytesOut: 0, requests: 10 },
    ...over,
  });

test('connectionReport: TLS null without handshakes, counts summed over workers; compression share and wire ratio', () => {
  assert.deepEqual(report(), {
    tls: null,
    compression: { mode: 'off', connections: 0, share: 0, parameters: {}, payloadBytes: 1_024_000, ratio: 1.074 },
  });
  const params = 'permessage-deflate; server_no_context_takeover; server_max_window_bits=15; client_max_window_bits=15';
  const r = report({
    compressionMode: 'offer',
    facts: [
      { tls: { 'TLSv1.3 TLS_AES_256_GCM_SHA384': 6 }, tlsResumed: 2, compression: { [params]: 6 } },
      undefined,
      { tls: { 'TLSv1.3 TLS_AES_256_GCM_SHA384': 4 }, tlsResumed: 3, compression: { [params]: 2 } },
    ],
    wire: { bytesIn: 409_600, bytesOut: 0, requests: 10 },
  });
  assert.deepEqual(r.tls, { handshakes: 10, negotiated: { 'TLSv1.3 TLS_AES_256_GCM_SHA384': 10 }, resumedSessions: 5 });
  assert.deepEqual(r.compression, {
    mode: 'offer',
    connections: 8,
    share: 0.8,
    parameters: { [params]: 8 },
    payloadBytes: 1_024_000,
    ratio: 0.4,
  });
  assert.equal(report({ delivered: 0 }).compression.ratio, 0, 'nothing delivered: no ratio');
  assert.equal(report({ opened: 0 }).compression.share, 0);
});

test('describeDeflateParams: the parameters as a server would answer them, every window stated', () => {
  assert.equal(
    describeDeflateParams({
      serverNoContextTakeover: true,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 10,
    }),
    'permessage-deflate; server_no_context_takeover; server_max_window_bits=15; client_max_window_bits=10',
  );
});

test('clientCompression: the offer from the scenario; only the stamp is inflated when that is all the client reads', () => {
  const scenario = (yaml: string) =>
    parseScenarioText(`clients: { connections: 1, compression: offer${yaml} }\npublish: { rate: 1, duration: 1s }\n`, '');
  const cases: [name: string, yaml: string, protocol: Parameters<typeof clientCompression>[1], want: unknown][] = [
    [
      'defaults: like a browser',
      '',
      PLAIN_PROTOCOL,
      { mode: 'offer', offer: { clientMaxWindowBits: true }, inflatePrefix: STAMP_BINARY_BYTES },
    ],
    [
      'every parameter',
      ', deflate: { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 9 }',
      PLAIN_PROTOCOL,
      {
        mode: 'offer',
        offer: { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 9 },
        inflatePrefix: STAMP_BINARY_BYTES,
      },
    ],
    [
      'heartbeats to ignore: all bytes',
      '',
      { ...PLAIN_PROTOCOL, ignore: ['ping'] } as ClientProtocolSpec,
      { mode: 'offer', offer: { clientMaxWindowBits: true }, inflatePrefix: null },
    ],
    [
      'a ready message: all bytes',
      '',
      { ...PLAIN_PROTOCOL, readyMessage: 'ok' } as ClientProtocolSpec,
      { mode: 'offer', offer: { clientMaxWindowBits: true }, inflatePrefix: null },
    ],
    ['a stack protocol: all bytes', '', { kind: 'socketio' }, { mode: 'offer', offer: { clientMaxWindowBits: true }, inflatePrefix: null }],
  ];
  for (const [name, yaml, protocol, want] of cases) assert.deepEqual(clientCompression(scenario(yaml), protocol), want, name);
  const text = parseScenarioText(
    'clients: { connections: 1, compression: require }\npublish: { rate: 1, duration: 1s, encoding: text }\n',
    '',
  );
  assert.equal(clientCompression(text, PLAIN_PROTOCOL).inflatePrefix, null, 'text stamps can be anywhere');
});

test('scenario keys: defaults, and one line naming the key for a bad value', () => {
  const s = parseScenarioText('clients: { connections: 1 }\npublish: { rate: 1, duration: 1s }\n', '');
  assert.deepEqual(s.clients.tls, { rejectUnauthorized: true, resumeSessions: true });
  assert.equal(s.clients.compression, 'off');
  assert.deepEqual(s.clients.deflate, { serverNoContextTakeover: false, clientNoContextTakeover: false, clientMaxWindowBits: true });
  assert.equal(s.publish.padding, 'plain');
  const target = s.target as { tls: unknown; perMessageDeflate: unknown };
  assert.equal(target.tls, false);
  assert.equal(target.perMessageDeflate, false);
  const withServer = parseScenarioText(
    'target: { kind: builtin, perMessageDeflate: { level: 1 } }\nclients: { connections: 1 }\npublish: { rate: 1, duration: 1s }\n',
    '',
  );
  assert.deepEqual((withServer.target as { perMessageDeflate: unknown }).perMessageDeflate, {
    serverNoContextTakeover: true,
    clientNoContextTakeover: false,
    level: 1,
  });
  for (const [yaml, where] of [
    ['clients: { connections: 1, compression: maybe }', /clients\.compression/],
    ['clients: { connections: 1, deflate: { serverMaxWindowBits: 16 } }', /clients\.deflate\.serverMaxWindowBits/],
    ['clients: { connections: 1, tls: { rejectUnauthorised: false } }', /clients\.tls/],
    ['target: { kind: builtin, tls: { cert: a.pem } }\nclients: { connections: 1 }', /target\.tls/],
  ] as const) {
    assert.throws(
      () => parseScenarioText(`${yaml}\npublish: { rate: 1, duration: 1s }\n`, 'x.yaml'),
      (e: Error) => where.test(e.message) && !e.message.includes('\n'),
      yaml,
    );
  }
});

test('JSON-like padding: exact sizes, distinct, compresses like JSON; stamps still read', () => {
  for (const size of [64, 1024, 4096]) {
    const paddings = jsonPaddings(size);
    assert.equal(paddings.length, 64);
    for (const p of paddings) assert.equal(p.length, size);
    assert.equal(new Set(paddings.map((p) => p.toString('latin1'))).size, 64, 'distinct');
  }
  const one = jsonPaddings(1024)[0]!;
  const ratio = deflateRawSync(one).length / one.length;
  assert.ok(ratio > 0.25 && ratio < 0.6, `compresses like JSON, not like zeros: ${ratio}`);
  for (const encoding of ['binary', 'text'] as const) {
    const writer = new StampWriter('0123456789abcdef', encoding, 1024, 'json');
    const reader = new StampReader('0123456789abcdef');
    for (const seq of [0, 1, 63, 64, 1000]) {
      const payload = writer.write(seq, 1234.5);
      assert.equal(payload.length, 1024);
      assert.equal(reader.read(payload), StampStatus.Ok, `${encoding} ${seq}`);
      assert.equal(reader.out.seq, seq);
    }
  }
});

const transport = (over: Partial<TransportReport>): TransportReport =>
  ({ connections: { target: 10, opened: 10, failed: 0, closedEarly: 0 }, ...over }) as TransportReport;
const PARAMS = 'permessage-deflate; server_no_context_takeover; server_max_window_bits=15; client_max_window_bits=15';

test('connection text and facts: what the summaries print and compare checks', () => {
  const secure = transport({
    tls: { handshakes: 10, negotiated: { 'TLSv1.3 TLS_AES_256_GCM_SHA384': 10 }, resumedSessions: 3 },
    compression: { mode: 'offer', connections: 10, share: 1, parameters: { [PARAMS]: 10 }, payloadBytes: 1000, ratio: 0.42 },
  });
  const plain = transport({
    tls: null,
    compression: { mode: 'off', connections: 0, share: 0, parameters: {}, payloadBytes: 1000, ratio: 1.05 },
  });
  const old = transport({});
  assert.equal(tlsText(secure), 'TLSv1.3 TLS_AES_256_GCM_SHA384 · 10 handshakes · 3 resumed');
  assert.equal(tlsText(plain), 'plain (no TLS)');
  assert.equal(tlsText(old), null);
  assert.equal(
    compressionText(secure),
    'permessage-deflate on 10/10 connections (100%, offer) · server_no_context_takeover; server_max_window_bits=15; client_max_window_bits=15 · wire 0.42 B per payload byte',
  );
  assert.equal(compressionText(plain), 'off · wire 1.05 B per payload byte');
  assert.equal(
    compressionText({ ...plain, compression: { ...plain.compression!, mode: 'offer' } }),
    'offered, declined by the server · wire 1.05 B per payload byte',
  );
  assert.equal(compressionText(old), null);

  const a = connectionFacts({ websocket: secure });
  const b = connectionFacts({ websocket: plain });
  assert.deepEqual(a, {
    'websocket.tls': 'TLSv1.3',
    'websocket.compression': 'server_no_context_takeover; server_max_window_bits=15; client_max_window_bits=15 (100%)',
  });
  assert.deepEqual(b, { 'websocket.tls': 'off', 'websocket.compression': 'off' });
  assert.deepEqual(connectionFacts({ websocket: old }), {}, 'reports from before: no facts');
  assert.equal(connectionMismatchWarning('b.json', connectionDifferences(a, a)), null);
  assert.equal(
    connectionMismatchWarning('b.json', connectionDifferences(connectionFacts({ websocket: old }), a)),
    null,
    'old baseline: nothing to compare',
  );
  const warning = connectionMismatchWarning('b.json', connectionDifferences(b, a));
  assert.match(
    warning!,
    /^the baseline b\.json ran with other TLS or compression in effect \(websocket\.tls off → TLSv1\.3, websocket\.compression off → server_no_context_takeover/,
  );
  assert.doesNotMatch(warning!, /\n/);
});

test('scenario facts name TLS and compression settings (so --baseline warns before the run)', () => {
  const facts = (yaml: string) => scenarioFacts(parseScenarioText(`${yaml}\npublish: { rate: 1, duration: 1s }\n`, ''));
  const plain = facts('clients: { connections: 1 }');
  assert.equal(plain['target.tls'], 'off');
  assert.equal(plain['target.perMessageDeflate'], 'off');
  assert.equal(plain['clients.compression'], 'off');
  assert.equal(plain['clients.tls.resumeSessions'], undefined, 'no TLS: resumption does not matter');
  const secure = facts('target: { kind: builtin, tls: true, perMessageDeflate: true }\nclients: { connections: 1, compression: offer }');
  assert.equal(secure['target.tls'], 'generated');
  assert.equal(secure['target.perMessageDeflate'], 'on');
  assert.equal(secure['clients.compression'], 'offer (client_max_window_bits)');
  assert.equal(secure['clients.tls.resumeSessions'], 'true');
  const raw = facts('target: { kind: raw, url: "wss://h/ws/{channel}" }\nclients: { connections: 1, tls: { resumeSessions: false } }');
  assert.equal(raw['clients.tls.resumeSessions'], 'false');
});

test('--repeat merges TLS and compression: counts as per-run means, the share and the wire ratio pooled', async () => {
  const { mergeTransport } = await import('../../src/results/merge.js');
  const { fakeTransport } = await import('../helpers/report.js');
  const run = (handshakes: number, resumed: number, compressed: number, bytesIn: number): TransportReport => ({
    ...fakeTransport('websocket', { expected: 100 }),
    wire: { bytesIn, bytesOut: 0, requests: 10 },
    tls: { handshakes, negotiated: { 'TLSv1.3 TLS_AES_256_GCM_SHA384': handshakes }, resumedSessions: resumed },
    compression: {
      mode: 'offer',
      connections: compressed,
      share: compressed / 10,
      parameters: { [PARAMS]: compressed },
      payloadBytes: 6400,
      ratio: bytesIn / 6400,
    },
  });
  const merged = mergeTransport([run(10, 2, 10, 3200), run(10, 4, 6, 6400)]);
  assert.deepEqual(merged.tls, { handshakes: 10, negotiated: { 'TLSv1.3 TLS_AES_256_GCM_SHA384': 10 }, resumedSessions: 3 });
  assert.deepEqual(merged.compression, {
    mode: 'offer',
    connections: 8,
    share: 0.8,
    parameters: { [PARAMS]: 8 },
    payloadBytes: 6400,
    ratio: 0.75,
  });
  const plain = { ...fakeTransport('websocket'), tls: null };
  assert.equal(mergeTransport([plain, plain]).tls, null);
  assert.equal('tls' in mergeTransport([fakeTransport('websocket'), fakeTransport('websocket')]), false, 'old reports: nothing invented');
});

test('the HTML summary shows TLS and compression and warns when overlaid series differ in them', async () => {
  const { htmlReport } = await import('../../src/reporters/html.js');
  const { fakeReport } = await import('../helpers/report.js');
  const secure = fakeReport();
  secure.transports.websocket = {
    ...secure.transports.websocket!,
    tls: { handshakes: 10, negotiated: { 'TLSv1.3 TLS_AES_256_GCM_SHA384': 10 }, resumedSessions: 4 },
    compression: { mode: 'offer', connections: 10, share: 1, parameters: { [PARAMS]: 10 }, payloadBytes: 1000, ratio: 0.45 },
  };
  const plain = fakeReport(undefined, 'r2');
  plain.transports.websocket = {
    ...plain.transports.websocket!,
    tls: null,
    compression: { mode: 'off', connections: 0, share: 0, parameters: {}, payloadBytes: 1000, ratio: 1.03 },
  };
  const assets = { uplotJs: '', uplotCss: '' };
  const one = htmlReport([{ label: 'secure', report: secure }], assets);
  assert.match(one, /<th>TLS<\/th><th>compression<\/th><th>tool CPU µs \/ delivery<\/th>/);
  assert.match(one, /TLSv1\.3 \(4 resumed\)/);
  assert.match(one, /deflate 100% · ×0\.45 on the wire/);
  assert.doesNotMatch(one, /not like for like/);
  const both = htmlReport(
    [
      { label: 'secure', report: secure },
      { label: 'plain', report: plain },
    ],
    assets,
  );
  assert.match(both, /TLS differs between the series \(secure: TLSv1\.3; plain: off\): not like for like/);
  assert.match(both, /compression differs between the series/);
});

test('--baseline: the gate says when the baseline had other TLS or compression in effect, after its scenario warning', async () => {
  const { createGate } = await import('../../src/gate/gate.js');
  const { fakeReport } = await import('../helpers/report.js');
  const plain = fakeReport();
  plain.transports.websocket!.tls = null;
  const secure = fakeReport(undefined, 'r2');
  secure.transports.websocket!.tls = { handshakes: 10, negotiated: { 'TLSv1.3 TLS_AES_256_GCM_SHA384': 10 }, resumedSessions: 0 };
  const gate = (warning?: string) =>
    createGate({ baseline: { report: plain, source: 'main.json', tolerances: { maxRegression: 0.1 }, ...(warning ? { warning } : {}) } });
  assert.match(
    gate().evaluate(secure)!.baseline!.warning!,
    /^the baseline main\.json ran with other TLS or compression in effect \(websocket\.tls off → TLSv1\.3\)/,
  );
  assert.match(
    gate('the baseline ran a different scenario').evaluate(secure)!.baseline!.warning!,
    /^the baseline ran a different scenario; the baseline main\.json ran with other TLS/,
  );
  assert.equal(gate().evaluate(fakeReport(undefined, 'r3'))!.baseline!.warning, undefined, 'old reports: nothing to say');
});
