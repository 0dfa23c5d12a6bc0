/**
 * Pure pieces of the stack adapters: URL and packet builders, msgpack envelopes and the client
 * protocol state machines, driven by tables of (message in → verdict, messages sent).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, Encoder } from '@msgpack/msgpack';
import { Verdict, type PlainProtocolSpec } from '../../src/targets/client-protocol.js';
import type { SocketioProtocolSpec } from '../../src/targets/socketio.js';
import type { ActioncableProtocolSpec } from '../../src/targets/actioncable.js';
import type { CentrifugoProtocolSpec } from '../../src/targets/centrifugo.js';
import { adapterChannel, connectPacket, emitterMessage, socketioUrl } from '../../src/targets/socketio.js';
import {
  actioncableChannel,
  actioncableIdentifier,
  actioncablePayload,
  subscribeCommand as cableSubscribe,
} from '../../src/targets/actioncable.js';
import { connectCommand, publishBody, subscribeCommand as centrifugoSubscribe } from '../../src/targets/centrifugo.js';
import { channelKey, channelsEvent, groupKey, pubsubGroupChannel } from '../../src/targets/channels.js';
import { ws4redisChannel, ws4redisUrl } from '../../src/targets/ws4redis.js';
import { parseScenarioText } from '../../src/config/load.js';
import { createClientProtocol, targetAdapter } from '../../src/targets/registry.js';
import { splitTemplate } from '../../src/engine/upstream-sender.js';

const STAMP = 'WSB10.0123456789abcdef.00000001.40c3880000000000xxxx';

/** Feeds `steps` to a fresh protocol: each step is [received text, verdict, texts it must send]. */
type AnySpec = SocketioProtocolSpec | ActioncableProtocolSpec | CentrifugoProtocolSpec | PlainProtocolSpec;

function drive(spec: AnySpec, steps: [string, Verdict, string[]][], channel = 'bench', clientIndex = 3) {
  const sent: string[] = [];
  const protocol = createClientProtocol(spec, { channel, clientIndex, send: (t) => sent.push(t) });
  protocol.opened();
  const openedSent = sent.splice(0);
  steps.forEach(([text, verdict, expectSent], i) => {
    // Inside a larger buffer, as a transport that parses frames in place hands them over.
    const frame = Buffer.from(`##${text}##`);
    assert.equal(protocol.received(frame, 2, frame.length - 2), verdict, `step ${i}: ${text} (${protocol.problem})`);
    assert.deepEqual(sent.splice(0), expectSent, `step ${i}: sent after ${text}`);
  });
  return { protocol, openedSent };
}

test('socketio URL, CONNECT packet and adapter channel', () => {
  const urls: [string, string, Record<string, string>, string][] = [
    ['ws://h:3000', '/socket.io/', {}, 'ws://h:3000/socket.io/?EIO=4&transport=websocket'],
    ['ws://h:3000/', 'socket.io', {}, 'ws://h:3000/socket.io/?EIO=4&transport=websocket'],
    ['wss://h', '/rt/io', { room: '{channel}', t: 'a b' }, 'wss://h/rt/io/?EIO=4&transport=websocket&room={channel}&t=a%20b'],
  ];
  for (const [base, path, query, want] of urls) assert.equal(socketioUrl(base, path, query), want);
  const packets: [string, string | null, string][] = [
    ['/', null, '40'],
    ['/', '{"token":"x"}', '40{"token":"x"}'],
    ['/chat', null, '40/chat,'],
    ['/chat', '{"a":1}', '40/chat,{"a":1}'],
  ];
  for (const [nsp, auth, want] of packets) assert.equal(connectPacket(nsp, auth), want);
  assert.equal(adapterChannel('socket.io', '/', null), 'socket.io#/#');
  assert.equal(adapterChannel('socket.io', '/chat', 'bench-1'), 'socket.io#/chat#bench-1#');
});

test('socketio emitter message is msgpack [uid, packet, opts] as @socket.io/redis-emitter builds it', () => {
  const encoder = new Encoder();
  assert.deepEqual(decode(emitterMessage(encoder, 'emitter', '/', 'bench', STAMP, null)), [
    'emitter',
    { type: 2, data: ['bench', STAMP], nsp: '/' },
    { rooms: [], flags: {}, except: [] },
  ]);
  const withRoom = emitterMessage(encoder, 'emitter', '/chat', 'ev', STAMP, 'r1');
  assert.deepEqual(decode(withRoom), ['emitter', { type: 2, data: ['ev', STAMP], nsp: '/chat' }, { rooms: ['r1'], flags: {}, except: [] }]);
  // Strings are msgpack str (0xa0–0xbf fixstr / 0xd9 str8), never bin: the stamp is findable as is.
  assert.ok(Buffer.from(withRoom).includes(Buffer.from(STAMP)));
  assert.equal(Buffer.from(withRoom).indexOf(0xc4), -1, 'no bin8 marker');
});

test('socketio protocol: open → CONNECT → ready; pings answered; events are data; a wrong server is named', () => {
  const spec: SocketioProtocolSpec = { kind: 'socketio', namespace: '/', auth: '{"room":"{channel}","n":{client}}' };
  const { protocol } = drive(spec, [
    ['0{"sid":"a","pingInterval":25000}', Verdict.Control, ['40{"room":"bench","n":3}']],
    ['2', Verdict.Control, ['3']],
    ['40{"sid":"b"}', Verdict.Control, []],
    [`42["bench","${STAMP}"]`, Verdict.Data, []],
    ['2', Verdict.Control, ['3']],
    ['43[1]', Verdict.Control, []],
  ]);
  assert.equal(protocol.ready, true);
  const ns = drive({ kind: 'socketio', namespace: '/chat', auth: null }, [
    ['0{"sid":"a"}', Verdict.Control, ['40/chat,']],
    ['40/chat,{"sid":"b"}', Verdict.Control, []],
    [`42/chat,["bench","${STAMP}"]`, Verdict.Data, []],
  ]);
  assert.equal(ns.protocol.ready, true);
  const wrong: [string[], RegExp][] = [
    [[STAMP], /^expected Socket\.IO open packet "0\{…\}", got "WSB10\.0123/],
    [['{"type":"welcome"}'], /got "\{\\"type\\":\\"welcome\\"\}"/],
    [
      ['0{"sid":"a"}', '44{"message":"Invalid namespace"}'],
      /Socket\.IO refused CONNECT "40": "44\{\\"message\\":\\"Invalid namespace\\"\}"/,
    ],
    [['0{"sid":"a"}', '40', '41'], /disconnected the namespace/],
  ];
  for (const [messages, problem] of wrong) {
    const p = createClientProtocol({ kind: 'socketio', namespace: '/', auth: null }, { channel: 'c', clientIndex: 0, send: () => {} });
    const verdicts = messages.map((m) => p.received(Buffer.from(m), 0, Buffer.byteLength(m)));
    assert.equal(verdicts.at(-1), Verdict.Unexpected, messages.join(' '));
    assert.match(p.problem ?? '', problem);
    assert.equal(p.ready, false);
  }
});

test('actioncable: identifier, subscribe command, channel prefix, payload', () => {
  const identifier = actioncableIdentifier('BenchChannel', { room: '{channel}' });
  assert.equal(identifier, '{"channel":"BenchChannel","room":"{channel}"}');
  assert.equal(cableSubscribe('{"channel":"C"}'), '{"command":"subscribe","identifier":"{\\"channel\\":\\"C\\"}"}');
  assert.equal(actioncableChannel('', 'bench:x'), 'bench:x');
  assert.equal(actioncableChannel('app_production', 'bench:x'), 'app_production:bench:x');
  assert.equal(actioncablePayload('payload', STAMP), `{"payload":"${STAMP}"}`);
});

test('actioncable protocol: welcome → subscribe → confirm; pings control; messages data', () => {
  const spec: ActioncableProtocolSpec = { kind: 'actioncable', identifier: '{"channel":"BenchChannel","room":"{channel}"}' };
  const id = '{\\"channel\\":\\"BenchChannel\\",\\"room\\":\\"bench\\"}';
  const { protocol } = drive(spec, [
    ['{"type":"welcome"}', Verdict.Control, [`{"command":"subscribe","identifier":"${id}"}`]],
    ['{"type":"ping","message":1700000000}', Verdict.Control, []],
    [`{"identifier":"${id}","type":"confirm_subscription"}`, Verdict.Control, []],
    [`{"identifier":"${id}","message":{"payload":"${STAMP}"}}`, Verdict.Data, []],
    ['{"type":"ping","message":1700000003}', Verdict.Control, []],
  ]);
  assert.equal(protocol.ready, true);
  const wrong: [string[], RegExp][] = [
    [['0{"sid":"x"}'], /^expected ActionCable welcome \{"type":"welcome"\}, got "0\{/],
    [['{"type":"welcome"}', `{"identifier":"${id}","type":"reject_subscription"}`], /rejected the subscription/],
    [['{"type":"disconnect","reason":"unauthorized","reconnect":false}'], /refused the connection/],
  ];
  for (const [messages, problem] of wrong) {
    const p = createClientProtocol(spec, { channel: 'bench', clientIndex: 0, send: () => {} });
    const verdicts = messages.map((m) => p.received(Buffer.from(m), 0, Buffer.byteLength(m)));
    assert.equal(verdicts.at(-1), Verdict.Unexpected);
    assert.match(p.problem ?? '', problem);
  }
});

test('centrifugo protocol: connect → subscribe → ready; {} pings answered; batched frames handed back', () => {
  const spec: CentrifugoProtocolSpec = { kind: 'centrifugo', channel: 'news:{channel}', connect: '{"token":"t"}' };
  const { protocol, openedSent } = drive(spec, [
    [
      '{"id":1,"connect":{"client":"c","version":"5","ping":25,"pong":true}}',
      Verdict.Control,
      ['{"id":2,"subscribe":{"channel":"news:bench"}}'],
    ],
    ['{}', Verdict.Control, ['{}']],
    ['{"id":2,"subscribe":{}}', Verdict.Control, []],
    [`{"push":{"channel":"news:bench","pub":{"data":{"payload":"${STAMP}"}}}}`, Verdict.Data, []],
    [`{"push":{"pub":{"data":"${STAMP}"}}}\n{"push":{"pub":{"data":"${STAMP}"}}}`, Verdict.Batch, []],
    ['{}\n{"push":{}}', Verdict.Batch, []],
  ]);
  assert.deepEqual(openedSent, ['{"id":1,"connect":{"token":"t"}}']);
  assert.equal(protocol.ready, true);
  const wrong: [string[], RegExp][] = [
    [['{"type":"welcome"}'], /^expected the Centrifugo connect reply \{"id":1,"connect":\{…\}\}, got "\{\\"type/],
    [['0{"sid":"x"}'], /connect reply/],
    [
      ['{"id":1,"connect":{}}', '{"id":2,"error":{"code":103,"message":"permission denied"}}'],
      /command 2 with error 103 permission denied/,
    ],
  ];
  for (const [messages, problem] of wrong) {
    const p = createClientProtocol(spec, { channel: 'bench', clientIndex: 0, send: () => {} });
    const verdicts = messages.map((m) => p.received(Buffer.from(m), 0, Buffer.byteLength(m)));
    assert.equal(verdicts.at(-1), Verdict.Unexpected, messages.join(' '));
    assert.match(p.problem ?? '', problem);
  }
  assert.equal(connectCommand('{}'), '{"id":1,"connect":{}}');
  assert.equal(centrifugoSubscribe('a:b'), '{"id":2,"subscribe":{"channel":"a:b"}}');
  assert.deepEqual(JSON.parse(publishBody('a', 'payload', STAMP)), { channel: 'a', data: { payload: STAMP } });
});

test('plain protocol with a ready message: ready only once it arrived, and it is control', () => {
  const { protocol } = drive(
    { kind: 'plain', sendAfterOpen: [], ignore: ['--hb--'], readyMessage: '{"type":"subscribed","group":"{channel}"}' },
    [
      ['--hb--', Verdict.Control, []],
      ['{"type":"subscribed","group":"other"}', Verdict.Data, []],
      ['{"type":"subscribed","group":"bench"}', Verdict.Control, []],
      [STAMP, Verdict.Data, []],
    ],
  );
  assert.equal(protocol.ready, true);
});

test('channels names and event', () => {
  const cases: [string, string, string][] = [
    ['asgi', 'specific.abc123!def456', 'asgispecific.abc123!'],
    ['asgi', 'plain.channel', 'asgiplain.channel'],
    ['myapp', 'specific.x!y', 'myappspecific.x!'],
  ];
  for (const [prefix, channel, key] of cases) assert.equal(channelKey(prefix, channel), key);
  assert.equal(groupKey('asgi', 'bench'), 'asgi:group:bench');
  assert.equal(pubsubGroupChannel('asgi', 'bench'), 'asgi__group__bench');
  assert.deepEqual(channelsEvent('bench.message', 'payload', STAMP), { type: 'bench.message', payload: STAMP });
});

test('ws4redis URL and Redis channel per audience', () => {
  assert.equal(ws4redisUrl('ws://h:8000/', '/ws/', '{channel}', 'broadcast', false), 'ws://h:8000/ws/{channel}?subscribe-broadcast');
  assert.equal(ws4redisUrl('ws://h', 'socket', 'f', 'user', true), 'ws://h/socket/f?subscribe-user&echo');
  const channels: [string, 'broadcast' | 'user' | 'group' | 'session', string | undefined, string][] = [
    ['', 'broadcast', undefined, 'broadcast:bench'],
    ['site', 'broadcast', undefined, 'site:broadcast:bench'],
    ['', 'user', 'alice', 'user:alice:bench'],
    ['p', 'group', 'staff', 'p:group:staff:bench'],
    ['', 'session', 'k3y', 'session:k3y:bench'],
  ];
  for (const [prefix, audience, who, want] of channels) assert.equal(ws4redisChannel(prefix, audience, who, 'bench'), want);
  assert.throws(() => ws4redisChannel('', 'user', undefined, 'bench'), /needs who/);
});

test('scenario checks for stack targets', () => {
  const bad: [string, RegExp][] = [
    ['target: { kind: socketio, url: "ws://h" }\npublish: { rate: 1, duration: 1s, encoding: binary }', /carries the payload as text/],
    ['target: { kind: socketio, url: "ws://h" }\npublish: { rate: 1, duration: 1s, channels: 2 }', /several channels need a room/],
    ['target: { kind: ws4redis, url: "ws://h", audience: user }\npublish: { rate: 1, duration: 1s }', /audience user needs who/],
    ['target: { kind: socketio, url: "ws://h", namespace: chat }\npublish: { rate: 1, duration: 1s }', /namespace starts with \//],
  ];
  for (const [body, message] of bad) {
    assert.throws(() => parseScenarioText(`clients: { connections: 1 }\n${body}\n`, 's.yaml'), message, body);
  }
  const ok = parseScenarioText(
    'clients: { connections: 1 }\ntarget: { kind: channels, url: "ws://h/ws/{channel}/" }\npublish: { rate: 1, duration: 1s }\n',
    'c.yaml',
  );
  assert.equal(ok.encoding, 'text');
  assert.equal(ok.target.kind === 'channels' && ok.target.layer, 'groups');
});

/** What each adapter has a sender send (publish.via websocket), for channel "lobby", client 3, a stamp. */
async function senderMessage(targetYaml: string, extra = ''): Promise<{ text: string; url: string }> {
  const scenario = parseScenarioText(
    `clients: { connections: 4 }\n${targetYaml}\npublish: { rate: 1, duration: 1s, via: websocket, channels: [lobby]${extra} }\n`,
    's.yaml',
  );
  const target = await targetAdapter(scenario.target.kind).prepare(scenario.target, {
    channelNames: scenario.channelNames,
    connections: 4,
    redisUrl: 'redis://127.0.0.1:1',
    longPollTimeoutMs: 1000,
    publishVia: scenario.publish.via,
  });
  assert.ok(target.upstream, `${scenario.target.kind} takes messages from clients`);
  const { before, after } = splitTemplate(target.upstream.template, 'lobby', 3);
  return { text: Buffer.concat([before, Buffer.from(STAMP), after]).toString(), url: target.urlTemplate };
}

test('what a sender sends, per stack: the app contract of each adapter', async () => {
  assert.equal((await senderMessage('target: { kind: socketio, url: "ws://h" }')).text, `42["bench:send","${STAMP}"]`);
  assert.equal(
    (await senderMessage('target: { kind: socketio, url: "ws://h", namespace: /chat, sendEvent: say }')).text,
    `42/chat,["say","${STAMP}"]`,
  );
  assert.deepEqual(JSON.parse((await senderMessage('target: { kind: channels, url: "ws://h/ws/{channel}/" }')).text), {
    type: 'bench.send',
    payload: STAMP,
  });
  const cable = JSON.parse((await senderMessage('target: { kind: actioncable, url: "ws://h/cable" }')).text) as Record<string, string>;
  assert.equal(cable['command'], 'message');
  assert.deepEqual(JSON.parse(cable['identifier']!), { channel: 'BenchChannel', room: 'lobby' }, 'the subscription it subscribed with');
  assert.deepEqual(JSON.parse(cable['data']!), { action: 'speak', payload: STAMP });
  assert.deepEqual(JSON.parse((await senderMessage('target: { kind: centrifugo, url: "ws://h", channel: "news:{channel}" }')).text), {
    id: 3,
    publish: { channel: 'news:lobby', data: { payload: STAMP } },
  });
  const ws4redis = await senderMessage('target: { kind: ws4redis, url: "ws://h" }');
  assert.equal(ws4redis.text, STAMP, 'verbatim: ws4redis publishes what the client sends');
  assert.equal(ws4redis.url, 'ws://h/ws/{channel}?subscribe-broadcast&publish-broadcast&echo');
  assert.equal((await senderMessage('target: { kind: builtin, url: "ws://h", clientPublish: true }')).text, STAMP);
  assert.equal(
    (await senderMessage(`target: { kind: raw, url: "ws://h/{channel}", publishMessage: '{"say":"{payload}","to":"{channel}"}' }`)).text,
    `{"say":"${STAMP}","to":"lobby"}`,
  );
});

test('scenario checks for client senders (publish.via websocket)', () => {
  const base = 'clients: { connections: 10 }\n';
  const bad: [string, RegExp][] = [
    ['publish: { rate: 1, duration: 1s, via: websocket }', /target\.clientPublish: .*only with clientPublish: true/],
    [
      'target: { kind: builtin, clientPublish: true }\npublish: { rate: 1, duration: 1s, via: websocket, channels: 3, senders: 2 }',
      /2 sender\(s\) for 3 channels/,
    ],
    [
      'target: { kind: builtin, clientPublish: true }\npublish: { rate: 1, duration: 1s, via: websocket, senders: 11 }',
      /11 senders, but only 10 connections/,
    ],
    ['publish: { rate: 1, duration: 1s, senders: 2 }', /publish\.senders: .*set publish\.via: websocket/],
    [
      'publish: { rate: 1, duration: 1s, via: websocket, senders: "many" }',
      /number of clients, a fraction of them \(0\.1\) or a percentage/,
    ],
    ['publish: { rate: 1, duration: 1s, via: websocket, senders: 2.5 }', /whole number of clients, or a fraction of them between 0 and 1/],
    ['publish: { rate: 1, duration: 1s, via: websocket, senders: 0 }', /publish\.senders: /],
    [
      'target: { kind: builtin, clientPublish: true }\ntransports: [websocket, longpoll]\npublish: { rate: 1, duration: 1s, via: websocket }',
      /"longpoll" clients cannot send/,
    ],
    [
      `target: { kind: raw, url: "ws://h/{channel}", publishMessage: '{"t":"{payload}"}' }\npublish: { rate: 1, duration: 1s, via: websocket, encoding: binary }`,
      /puts the payload inside text: set publish\.encoding text/,
    ],
    [
      `target: { kind: raw, url: "ws://h/{channel}", publishMessage: 'hello' }\npublish: { rate: 1, duration: 1s }`,
      /must contain \{payload\}/,
    ],
    // JSON padding's quotes would break a JSON message around the payload (it is put in unescaped).
    [
      'target: { kind: socketio, url: "ws://h" }\npublish: { rate: 1, duration: 1s, via: websocket, padding: json }',
      /target\.sendEvent: .*publish\.padding json's quotes would break it/,
    ],
    [
      'target: { kind: channels, url: "ws://h/{channel}/" }\npublish: { rate: 1, duration: 1s, via: websocket, padding: json }',
      /target\.sendType: /,
    ],
    [
      'target: { kind: actioncable, url: "ws://h/cable" }\npublish: { rate: 1, duration: 1s, via: websocket, padding: json }',
      /target\.sendAction: /,
    ],
    ['target: { kind: centrifugo, url: "ws://h" }\npublish: { rate: 1, duration: 1s, via: websocket, padding: json }', /target\.field: /],
  ];
  for (const [body, message] of bad) assert.throws(() => parseScenarioText(`${base}${body}\n`, 's.yaml'), message, body);
  assert.throws(
    () =>
      parseScenarioText(
        'target: { kind: builtin, clientPublish: true }\nclients: { connections: 10, churn: 1/s }\npublish: { rate: 1, duration: 1s, via: websocket }\n',
        's.yaml',
      ),
    /clients\.churn: not with publish\.via websocket yet/,
  );
  const fraction = parseScenarioText(
    `${base}target: { kind: builtin, clientPublish: true }\npublish: { rate: 1, duration: 1s, via: websocket, senders: "25%", channels: 2 }\n`,
    's.yaml',
  );
  assert.equal(fraction.senders, 3, '25 % of 10, rounded');
  const share = parseScenarioText(
    `${base}target: { kind: builtin, clientPublish: true }\npublish: { rate: 1, duration: 1s, via: websocket, senders: 0.3, channels: 2 }\n`,
    's.yaml',
  );
  assert.equal(share.senders, 3, 'a fraction: 0.3 of 10');
  const byDefault = parseScenarioText(
    `${base}target: { kind: builtin, clientPublish: true }\npublish: { rate: 1, duration: 1s, via: websocket, channels: 4 }\n`,
    's.yaml',
  );
  assert.equal(byDefault.senders, 4, 'one per channel');
  assert.equal(parseScenarioText(`${base}publish: { rate: 1, duration: 1s }\n`, 's.yaml').senders, 0, 'via redis: wsbench publishes');
  // A verbatim relay takes JSON padding as it is, and wsbench's own publisher escapes it.
  for (const ok of [
    'target: { kind: ws4redis, url: "ws://h" }\npublish: { rate: 1, duration: 1s, via: websocket, padding: json }',
    'target: { kind: builtin, clientPublish: true }\npublish: { rate: 1, duration: 1s, via: websocket, padding: json }',
    'target: { kind: socketio, url: "ws://h" }\npublish: { rate: 1, duration: 1s, padding: json }',
  ])
    assert.doesNotThrow(() => parseScenarioText(`${base}${ok}\n`, 's.yaml'), ok);
});

/** Like drive, for a client in several channels (ProtocolContext.channels). */
function driveChannels(spec: AnySpec, channels: string[], steps: [string, Verdict, string[]][]) {
  const sent: string[] = [];
  const protocol = createClientProtocol(spec, { channel: channels[0]!, channels, clientIndex: 3, send: (t) => sent.push(t) });
  protocol.opened();
  const openedSent = sent.splice(0);
  steps.forEach(([text, verdict, expectSent], i) => {
    const frame = Buffer.from(`##${text}##`);
    assert.equal(protocol.received(frame, 2, frame.length - 2), verdict, `step ${i}: ${text} (${protocol.problem})`);
    assert.deepEqual(sent.splice(0), expectSent, `step ${i}: sent after ${text}`);
  });
  return { protocol, openedSent };
}

test('actioncable protocol, a client in several channels: a subscribe per channel on one cable, ready once every one is confirmed; data of a confirmed one meanwhile is data', () => {
  const spec: ActioncableProtocolSpec = { kind: 'actioncable', identifier: actioncableIdentifier('BenchChannel', { room: '{channel}' }) };
  const id = (room: string) => actioncableIdentifier('BenchChannel', { room });
  const { protocol } = driveChannels(
    spec,
    ['a', 'b', 'c'],
    [
      ['{"type":"welcome"}', Verdict.Control, [cableSubscribe(id('a')), cableSubscribe(id('b')), cableSubscribe(id('c'))]],
      [JSON.stringify({ identifier: id('a'), type: 'confirm_subscription' }), Verdict.Control, []],
      [JSON.stringify({ identifier: id('a'), message: { payload: STAMP } }), Verdict.Data, []],
      [JSON.stringify({ identifier: id('c'), type: 'confirm_subscription' }), Verdict.Control, []],
    ],
  );
  assert.equal(protocol.ready, false, 'b is not confirmed yet');
  const frame = Buffer.from(JSON.stringify({ identifier: id('b'), type: 'confirm_subscription' }));
  assert.equal(protocol.received(frame, 0, frame.length), Verdict.Control);
  assert.equal(protocol.ready, true);
  const rejected = driveChannels(
    spec,
    ['a', 'b'],
    [
      ['{"type":"welcome"}', Verdict.Control, [cableSubscribe(id('a')), cableSubscribe(id('b'))]],
      [JSON.stringify({ identifier: id('a'), type: 'confirm_subscription' }), Verdict.Control, []],
      [JSON.stringify({ identifier: id('b'), type: 'reject_subscription' }), Verdict.Unexpected, []],
    ],
  );
  assert.match(rejected.protocol.problem ?? '', /rejected the subscription/);
});

test('centrifugo protocol, a client in several channels: a subscribe per channel (ids 2, 101, …), ready once every one is answered', () => {
  const spec: CentrifugoProtocolSpec = { kind: 'centrifugo', channel: 'news:{channel}', connect: '{}' };
  const { protocol, openedSent } = driveChannels(
    spec,
    ['a', 'b', 'c'],
    [
      [
        '{"id":1,"connect":{"client":"x"}}',
        Verdict.Control,
        [centrifugoSubscribe('news:a'), centrifugoSubscribe('news:b', 101), centrifugoSubscribe('news:c', 102)],
      ],
      ['{"id":101,"subscribe":{}}', Verdict.Control, []],
      ['{"push":{"channel":"news:b","pub":{"data":{}}}}', Verdict.Data, []],
      ['{"id":2,"subscribe":{}}', Verdict.Control, []],
    ],
  );
  assert.deepEqual(openedSent, [connectCommand('{}')]);
  assert.equal(protocol.ready, false, 'news:c not answered yet');
  const last = Buffer.from('{"id":102,"subscribe":{}}');
  assert.equal(protocol.received(last, 0, last.length), Verdict.Control);
  assert.equal(protocol.ready, true);
});

test('plain protocol, a client in several channels: {channels} in readyMessage and sendAfterOpen is every channel, comma-separated', () => {
  const spec: PlainProtocolSpec = {
    kind: 'plain',
    sendAfterOpen: ['join {channels}'],
    ignore: [],
    readyMessage: '{"type":"subscribed","group":"{channels}"}',
  };
  const { protocol, openedSent } = driveChannels(spec, ['a', 'b'], [['{"type":"subscribed","group":"a,b"}', Verdict.Control, []]]);
  assert.deepEqual(openedSent, ['join a,b']);
  assert.equal(protocol.ready, true);
});
