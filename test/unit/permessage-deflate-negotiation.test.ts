/**
 * permessage-deflate negotiation (RFC 7692 §5, §7.1): the header syntax, the client's offer, the
 * client's check of the server's answer and the server's choice, as tables of cases, and both
 * ends agreeing on the parameters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  acceptResponse,
  buildOffer,
  directionFor,
  negotiateServer,
  parseExtensions,
  PerMessageDeflateError,
  type DeflateOffer,
  type DeflateParams,
  type ServerDeflateSettings,
} from '../../src/wire/permessage-deflate.js';

const params = (snct: boolean, cnct: boolean, smwb: number, cmwb: number): DeflateParams => ({
  serverNoContextTakeover: snct,
  clientNoContextTakeover: cnct,
  serverMaxWindowBits: smwb,
  clientMaxWindowBits: cmwb,
});

/** The error `fn` throws, checked to be a negotiation failure. */
function negotiationFailure(fn: () => unknown): PerMessageDeflateError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PerMessageDeflateError, `not a PerMessageDeflateError: ${String(e)}`);
    assert.equal(e.kind, 'deflate.negotiation');
    assert.equal(e.code, 'TARGET_PROTOCOL');
    assert.ok(!e.message.includes('\n'), 'one line');
    return e;
  }
  assert.fail('expected a negotiation failure');
}

test('Sec-WebSocket-Extensions syntax: whitespace, quoting, case, several offers, empty elements', () => {
  const cases: [string, [string, [string, string | null][]][]][] = [
    ['', []],
    ['permessage-deflate', [['permessage-deflate', []]]],
    ['permessage-deflate; client_max_window_bits', [['permessage-deflate', [['client_max_window_bits', null]]]]],
    ['Permessage-Deflate; Server_No_Context_Takeover', [['permessage-deflate', [['server_no_context_takeover', null]]]]],
    ['  permessage-deflate ;  server_max_window_bits = 10 ', [['permessage-deflate', [['server_max_window_bits', '10']]]]],
    ['\tpermessage-deflate\t;\tclient_max_window_bits\t', [['permessage-deflate', [['client_max_window_bits', null]]]]],
    [
      'permessage-deflate;server_max_window_bits=10;client_max_window_bits',
      [
        [
          'permessage-deflate',
          [
            ['server_max_window_bits', '10'],
            ['client_max_window_bits', null],
          ],
        ],
      ],
    ],
    ['permessage-deflate; server_max_window_bits="10"', [['permessage-deflate', [['server_max_window_bits', '10']]]]],
    ['permessage-deflate; server_max_window_bits="1\\0"', [['permessage-deflate', [['server_max_window_bits', '10']]]]],
    [
      'permessage-deflate; client_max_window_bits, permessage-deflate',
      [
        ['permessage-deflate', [['client_max_window_bits', null]]],
        ['permessage-deflate', []],
      ],
    ],
    [
      ', permessage-deflate,, x-webkit-deflate-frame ,',
      [
        ['permessage-deflate', []],
        ['x-webkit-deflate-frame', []],
      ],
    ],
    [
      'permessage-deflate; a; a',
      [
        [
          'permessage-deflate',
          [
            ['a', null],
            ['a', null],
          ],
        ],
      ],
    ],
  ];
  for (const [header, expected] of cases) {
    const parsed = parseExtensions(header).map((e) => [e.name, e.params.map((p) => [p.name, p.value])]);
    assert.deepEqual(parsed, expected, header);
  }
});

test('malformed Sec-WebSocket-Extensions values fail with the column and what was expected', () => {
  const cases: [string, RegExp][] = [
    ['permessage-deflate;', /expected a parameter name after ';' at column 20/],
    ['permessage-deflate; =10', /expected a parameter name after ';', found "=" at column 21/],
    ['permessage-deflate; server_max_window_bits=', /expected a value after '='/],
    ['permessage-deflate; server_max_window_bits="10', /unterminated quoted value/],
    ['permessage-deflate; server_max_window_bits="1 0"', /quoted value "1 0" is not a token/],
    ['permessage-deflate; server_max_window_bits=""', /quoted value "" is not a token/],
    ['permessage deflate', /unexpected "d" at column 12/],
    ['permessage-deflate; a=b=c', /unexpected "="/],
    ['"permessage-deflate"', /expected an extension name, found "\\""/],
    [';x', /expected an extension name/],
    ['permessage-deflate; x=\u00e9', /expected a value after '='/],
  ];
  for (const [header, message] of cases) {
    const error = negotiationFailure(() => parseExtensions(header));
    assert.match(error.message, /^malformed Sec-WebSocket-Extensions "/, header);
    assert.match(error.message, message, header);
  }
});

test('the client offer: one element per offer, parameters as configured', () => {
  const cases: [DeflateOffer[], string][] = [
    [[{}], 'permessage-deflate'],
    [[{ clientMaxWindowBits: true }], 'permessage-deflate; client_max_window_bits'],
    [[{ serverNoContextTakeover: true }], 'permessage-deflate; server_no_context_takeover'],
    [
      [{ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 9 }],
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9',
    ],
    [[{ serverMaxWindowBits: 8, clientMaxWindowBits: 15 }], 'permessage-deflate; server_max_window_bits=8; client_max_window_bits=15'],
    [
      [{ serverNoContextTakeover: true, serverMaxWindowBits: 10 }, { clientMaxWindowBits: true }],
      'permessage-deflate; server_no_context_takeover; server_max_window_bits=10, permessage-deflate; client_max_window_bits',
    ],
  ];
  for (const [offers, header] of cases) {
    assert.equal(buildOffer(offers), header);
    // What the client sends parses back to the same elements.
    assert.equal(parseExtensions(header).length, offers.length);
  }
  for (const bad of [
    [],
    [{ serverMaxWindowBits: 7 }],
    [{ serverMaxWindowBits: 16 }],
    [{ serverMaxWindowBits: 9.5 }],
    [{ clientMaxWindowBits: 16 }],
  ]) {
    assert.throws(() => buildOffer(bad), RangeError, JSON.stringify(bad));
  }
});

test("the client's check of the server's answer (RFC 7692 §5, §7.1)", () => {
  const plain: DeflateOffer[] = [{ clientMaxWindowBits: true }];
  const ok: [DeflateOffer[], string | undefined, boolean, DeflateParams | null][] = [
    [plain, undefined, false, null],
    [plain, '', false, null],
    [[], undefined, false, null],
    [[], '', false, null],
    [plain, 'permessage-deflate', false, params(false, false, 15, 15)],
    [plain, 'permessage-deflate', true, params(false, false, 15, 15)],
    // The server may always add these two (§7.1.1.1, §7.1.1.2).
    [plain, 'permessage-deflate; server_no_context_takeover', false, params(true, false, 15, 15)],
    [plain, 'permessage-deflate; client_no_context_takeover', false, params(false, true, 15, 15)],
    [plain, 'permessage-deflate; client_max_window_bits=10', false, params(false, false, 15, 10)],
    // A smaller server window than the client allows is harmless: it only lets the client keep less.
    [plain, 'permessage-deflate; server_max_window_bits=12', false, params(false, false, 12, 15)],
    [[{ serverMaxWindowBits: 10 }], 'permessage-deflate; server_max_window_bits=10', false, params(false, false, 10, 15)],
    [[{ serverMaxWindowBits: 10 }], 'permessage-deflate; server_max_window_bits=9', false, params(false, false, 9, 15)],
    [[{ serverNoContextTakeover: true }], 'permessage-deflate; server_no_context_takeover', false, params(true, false, 15, 15)],
    // client_no_context_takeover offered is the client's own promise, confirmed or not.
    [[{ clientNoContextTakeover: true }], 'permessage-deflate', false, params(false, true, 15, 15)],
    [[{ clientMaxWindowBits: 11 }], 'permessage-deflate', false, params(false, false, 15, 11)],
    [[{ clientMaxWindowBits: 11 }], 'permessage-deflate; client_max_window_bits=9', false, params(false, false, 15, 9)],
    [plain, 'PERMESSAGE-DEFLATE; SERVER_MAX_WINDOW_BITS=9', false, params(false, false, 9, 15)],
    [plain, 'permessage-deflate; server_max_window_bits="9"', false, params(false, false, 9, 15)],
    [plain, ' permessage-deflate ; client_max_window_bits = 8 ', false, params(false, false, 15, 8)],
    // Several offers: the answer matches the first it can.
    [
      [{ serverNoContextTakeover: true, serverMaxWindowBits: 10 }, { clientMaxWindowBits: true }],
      'permessage-deflate; server_no_context_takeover; server_max_window_bits=10',
      false,
      params(true, false, 10, 15),
    ],
    [
      [{ serverNoContextTakeover: true, serverMaxWindowBits: 10 }, { clientMaxWindowBits: true }],
      'permessage-deflate; client_max_window_bits=12',
      false,
      params(false, false, 15, 12),
    ],
  ];
  for (const [offers, header, required, expected] of ok) {
    assert.deepEqual(acceptResponse(header, offers, required), expected, `${JSON.stringify(offers)} ← ${header}`);
  }

  const failing: [DeflateOffer[], string | undefined, boolean, RegExp, number?][] = [
    [plain, undefined, true, /server did not accept permessage-deflate, which compression: require needs/, 1010],
    [plain, 'x-webkit-deflate-frame', false, /extension that was not offered: "x-webkit-deflate-frame"/, 1010],
    [plain, 'permessage-deflate, x-foo', false, /not offered/, 1010],
    [[], 'permessage-deflate', false, /not offered: "permessage-deflate"/, 1010],
    [plain, 'permessage-deflate, permessage-deflate', false, /more than once/],
    [plain, 'permessage-deflate;', false, /malformed Sec-WebSocket-Extensions/],
    [plain, 'permessage-deflate; foo', false, /invalid: unknown parameter foo/],
    [
      plain,
      'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
      false,
      /server_no_context_takeover appears more than once/,
    ],
    [plain, 'permessage-deflate; client_max_window_bits=10; client_max_window_bits=10', false, /appears more than once/],
    [plain, 'permessage-deflate; server_no_context_takeover=1', false, /takes no value/],
    [plain, 'permessage-deflate; client_no_context_takeover="x"', false, /takes no value/],
    [plain, 'permessage-deflate; server_max_window_bits=16', false, /server_max_window_bits=16 is not a window size of 8 to 15 bits/],
    [plain, 'permessage-deflate; server_max_window_bits=7', false, /is not a window size/],
    [plain, 'permessage-deflate; server_max_window_bits=08', false, /is not a window size/],
    [plain, 'permessage-deflate; server_max_window_bits=ten', false, /is not a window size/],
    [plain, 'permessage-deflate; server_max_window_bits', false, /server_max_window_bits needs a value/],
    [plain, 'permessage-deflate; client_max_window_bits', false, /client_max_window_bits needs a value/],
    [[{}], 'permessage-deflate; client_max_window_bits=10', false, /sent client_max_window_bits, which the client did not offer/],
    [
      [{ clientMaxWindowBits: 11 }],
      'permessage-deflate; client_max_window_bits=12',
      false,
      /client_max_window_bits=12 is above the 11 offered/,
    ],
    [[{ serverMaxWindowBits: 10 }], 'permessage-deflate', false, /did not confirm the offered server_max_window_bits=10/],
    [
      [{ serverMaxWindowBits: 10 }],
      'permessage-deflate; server_max_window_bits=11',
      false,
      /server_max_window_bits=11 is above the 10 offered/,
    ],
    [[{ serverNoContextTakeover: true }], 'permessage-deflate', false, /did not confirm the offered server_no_context_takeover/],
    [
      [{ serverNoContextTakeover: true }, { serverMaxWindowBits: 9 }],
      'permessage-deflate; server_max_window_bits=10',
      false,
      /offer 1: it did not confirm the offered server_no_context_takeover; offer 2: server_max_window_bits=10 is above the 9 offered/,
    ],
  ];
  for (const [offers, header, required, message, closeCode] of failing) {
    const error = negotiationFailure(() => acceptResponse(header, offers, required));
    assert.match(error.message, message, `${JSON.stringify(offers)} ← ${header}`);
    if (closeCode !== undefined) assert.equal(error.closeCode, closeCode, header);
  }
});

test("the server's choice: first acceptable offer, invalid offers declined, the answer it sends", () => {
  const cases: [string | undefined, ServerDeflateSettings, string, DeflateParams][] = [
    ['permessage-deflate', {}, 'permessage-deflate', params(false, false, 15, 15)],
    ['permessage-deflate; client_max_window_bits', {}, 'permessage-deflate', params(false, false, 15, 15)],
    [
      'permessage-deflate; client_max_window_bits',
      { clientMaxWindowBits: 10 },
      'permessage-deflate; client_max_window_bits=10',
      params(false, false, 15, 10),
    ],
    [
      'permessage-deflate; client_max_window_bits=9',
      { clientMaxWindowBits: 10 },
      'permessage-deflate; client_max_window_bits=9',
      params(false, false, 15, 9),
    ],
    // The client limits itself: nothing to answer, the server inflates with that window.
    ['permessage-deflate; client_max_window_bits=12', {}, 'permessage-deflate', params(false, false, 15, 12)],
    // A client that did not offer client_max_window_bits cannot be asked to limit its window.
    ['permessage-deflate', { clientMaxWindowBits: 10 }, 'permessage-deflate', params(false, false, 15, 15)],
    ['permessage-deflate; server_max_window_bits=10', {}, 'permessage-deflate; server_max_window_bits=10', params(false, false, 10, 15)],
    [
      'permessage-deflate; server_max_window_bits=10',
      { serverMaxWindowBits: 9 },
      'permessage-deflate; server_max_window_bits=9',
      params(false, false, 9, 15),
    ],
    ['permessage-deflate; server_max_window_bits=8', {}, 'permessage-deflate; server_max_window_bits=8', params(false, false, 8, 15)],
    // A smaller window than the client allows is used without saying so.
    ['permessage-deflate', { serverMaxWindowBits: 9 }, 'permessage-deflate', params(false, false, 9, 15)],
    ['permessage-deflate; server_no_context_takeover', {}, 'permessage-deflate; server_no_context_takeover', params(true, false, 15, 15)],
    [
      'permessage-deflate',
      { serverNoContextTakeover: true },
      'permessage-deflate; server_no_context_takeover',
      params(true, false, 15, 15),
    ],
    [
      'permessage-deflate',
      { clientNoContextTakeover: true },
      'permessage-deflate; client_no_context_takeover',
      params(false, true, 15, 15),
    ],
    // The client's hint: no context kept for it, nothing to answer.
    ['permessage-deflate; client_no_context_takeover', {}, 'permessage-deflate', params(false, true, 15, 15)],
    ['Permessage-Deflate; Server_Max_Window_Bits="11"', {}, 'permessage-deflate; server_max_window_bits=11', params(false, false, 11, 15)],
    ['x-webkit-deflate-frame, permessage-deflate', {}, 'permessage-deflate', params(false, false, 15, 15)],
    // Invalid offers are declined and the next one is taken.
    [
      'permessage-deflate; foo, permessage-deflate; client_max_window_bits',
      { clientMaxWindowBits: 11 },
      'permessage-deflate; client_max_window_bits=11',
      params(false, false, 15, 11),
    ],
    ['permessage-deflate; server_max_window_bits=16, permessage-deflate', {}, 'permessage-deflate', params(false, false, 15, 15)],
    [
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9',
      { serverMaxWindowBits: 12, clientMaxWindowBits: 12 },
      'permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9',
      params(true, true, 10, 9),
    ],
  ];
  for (const [header, settings, response, expected] of cases) {
    const n = negotiateServer(header, settings);
    assert.equal(n.response, response, `${header} ${JSON.stringify(settings)}`);
    assert.deepEqual(n.params, expected, `${header} ${JSON.stringify(settings)}`);
  }

  const declined: [string | undefined, RegExp, boolean][] = [
    [undefined, /the client offered no permessage-deflate/, false],
    ['x-webkit-deflate-frame', /the client offered no permessage-deflate/, false],
    ['permessage-deflate; foo', /every permessage-deflate offer was declined: offer 1: unknown parameter foo/, false],
    ['permessage-deflate; server_max_window_bits', /offer 1: server_max_window_bits needs a value/, false],
    ['permessage-deflate; server_max_window_bits=7', /offer 1: server_max_window_bits=7 is not a window size/, false],
    ['permessage-deflate; client_max_window_bits=16', /client_max_window_bits=16 is not a window size/, false],
    ['permessage-deflate; server_no_context_takeover=yes', /takes no value/, false],
    [
      'permessage-deflate; client_max_window_bits; client_max_window_bits, permessage-deflate; x',
      /offer 1: parameter client_max_window_bits appears more than once; offer 2: unknown parameter x/,
      false,
    ],
    ['permessage-deflate;', /malformed Sec-WebSocket-Extensions/, true],
    ['permessage-deflate; server_max_window_bits="10', /unterminated/, true],
  ];
  for (const [header, reason, malformed] of declined) {
    const n = negotiateServer(header, {});
    assert.equal(n.params, null, header);
    assert.equal(n.response, null, header);
    assert.match(n.reason ?? '', reason, header);
    assert.equal(n.malformed, malformed, header);
  }
  assert.throws(() => negotiateServer('permessage-deflate', { serverMaxWindowBits: 16 }), RangeError);
});

test('both ends agree: what the server answers, the client accepts as the same parameters', () => {
  const offers: DeflateOffer[][] = [
    [{}],
    [{ clientMaxWindowBits: true }],
    [{ serverNoContextTakeover: true, clientNoContextTakeover: true }],
    [{ serverMaxWindowBits: 9, clientMaxWindowBits: 10 }],
    [{ serverMaxWindowBits: 8, clientMaxWindowBits: true }],
    [{ serverNoContextTakeover: true, serverMaxWindowBits: 12 }, { clientMaxWindowBits: true }],
  ];
  const settings: ServerDeflateSettings[] = [
    {},
    { serverNoContextTakeover: true },
    { clientNoContextTakeover: true },
    { serverMaxWindowBits: 10, clientMaxWindowBits: 9 },
    { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 8, clientMaxWindowBits: 8 },
  ];
  for (const offer of offers) {
    for (const setting of settings) {
      const server = negotiateServer(buildOffer(offer), setting);
      assert.ok(server.params, `${buildOffer(offer)} ${JSON.stringify(setting)}`);
      const client = acceptResponse(server.response, offer, true);
      const where = `${buildOffer(offer)} → ${server.response}`;
      // The server may compress with a smaller window than it announces; the client only needs an upper bound.
      assert.ok(server.params.serverMaxWindowBits <= client!.serverMaxWindowBits, where);
      assert.deepEqual({ ...client, serverMaxWindowBits: 0 }, { ...server.params, serverMaxWindowBits: 0 }, where);
    }
  }
});

test('directionFor: what each end inflates and deflates with', () => {
  const p = params(true, false, 9, 12);
  assert.deepEqual(directionFor(p, 'client'), {
    receive: { noContextTakeover: true, windowBits: 9 },
    send: { noContextTakeover: false, windowBits: 12 },
  });
  assert.deepEqual(directionFor(p, 'server'), {
    receive: { noContextTakeover: false, windowBits: 12 },
    send: { noContextTakeover: true, windowBits: 9 },
  });
});
