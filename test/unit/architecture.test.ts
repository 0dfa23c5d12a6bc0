/**
 * The architecture's promises, checked on the source: a target is one module (its kind is named
 * nowhere else), the registries are complete and consistent, and every kind of spec a target
 * hands to the workers or the publisher thread can be rebuilt there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { TARGET_SCHEMAS, createClientProtocol, createInjector, targetAdapter } from '../../src/targets/registry.js';
import { TRANSPORTS, TRANSPORT_NAMES } from '../../src/transports/registry.js';
import { TRANSPORT_NAMES as GATE_TRANSPORT_NAMES } from '../../src/gate/metrics.js';
import { parseScenarioText } from '../../src/config/load.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const STACK_KINDS = ['socketio', 'channels', 'actioncable', 'ws4redis', 'centrifugo'];
/**
 * Files where `channels` is a string literal for another concept of the same name: the
 * `publish.channels` scenario key and the `--channels` flag of run and doctor, not the Django Channels target.
 */
const HOMONYMS: Record<string, string[]> = {
  channels: ['src/cli/flags/doctor.ts', 'src/cli/flags/run.ts', 'src/cli/run.ts', 'src/config/overrides.ts'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sourceFiles(path) : /\.tsx?$/.test(entry) ? [path] : [];
  });
}

/** Files under src/ holding each of `words` as a whole string literal ('x', "x" or `x`). */
function filesWithLiteral(words: readonly string[]): Map<string, Set<string>> {
  const found = new Map(words.map((w) => [w, new Set<string>()]));
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && found.has(node.text)) {
        found.get(node.text)!.add(relative(ROOT, file));
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

test('each stack kind is a string literal only in its own module (and at most the registry)', () => {
  const found = filesWithLiteral(STACK_KINDS);
  for (const kind of STACK_KINDS) {
    const files = [...found.get(kind)!].filter((f) => !(HOMONYMS[kind] ?? []).includes(f)).sort();
    assert.ok(files.includes(`src/targets/${kind}.ts`), `${kind} is named in its module`);
    const others = files.filter((f) => f !== `src/targets/${kind}.ts` && f !== 'src/targets/registry.ts');
    assert.deepEqual(others, [], `"${kind}" appears as a string literal outside src/targets/${kind}.ts and the registry`);
  }
});

test('the literal check sees through quotes and templates (it can fail)', () => {
  // The Django Channels adapter's kind is also the flag --channels: both files are found.
  const channels = [...filesWithLiteral(['channels']).get('channels')!];
  for (const f of HOMONYMS['channels']!) assert.ok(channels.includes(f), `${f} names the --channels flag`);
});

test('every target schema belongs to the adapter registered under its kind', () => {
  for (const schema of TARGET_SCHEMAS) {
    const kind = (schema.shape as { kind: { value: string } }).kind.value;
    assert.equal(targetAdapter(kind).schema, schema, kind);
    assert.equal(targetAdapter(kind).kind, kind);
  }
  assert.throws(() => targetAdapter('nope'), /no target adapter for kind "nope"/);
});

test('every transport descriptor is registered under its own name, and the gate knows every one', () => {
  for (const [name, descriptor] of Object.entries(TRANSPORTS)) assert.equal(descriptor.name, name);
  assert.deepEqual([...GATE_TRANSPORT_NAMES].sort(), [...TRANSPORT_NAMES].sort());
});

/** One scenario per target kind, small but valid. */
const SCENARIOS: Record<string, string> = {
  builtin: 'target: { kind: builtin, url: "ws://127.0.0.1:1" }',
  raw: 'target: { kind: raw, url: "ws://127.0.0.1:1/ws/{channel}" }',
  socketio: 'target: { kind: socketio, url: "ws://127.0.0.1:1" }',
  channels: 'target: { kind: channels, url: "ws://127.0.0.1:1/ws/{channel}/" }',
  channelsPubsub: 'target: { kind: channels, layer: pubsub, url: "ws://127.0.0.1:1/ws/{channel}/" }',
  actioncable: 'target: { kind: actioncable, url: "ws://127.0.0.1:1/cable" }',
  ws4redis: 'target: { kind: ws4redis, url: "ws://127.0.0.1:1" }',
  centrifugo: 'target: { kind: centrifugo, url: "ws://127.0.0.1:1" }',
};

test('what a prepared target hands to workers and the publisher thread can be rebuilt there', async () => {
  const redisStub = {
    publish: async () => 0,
    defineCommand: () => {},
    wsbenchChannelsGroupSend: async () => [0, 0, 0],
  } as unknown as Parameters<typeof createInjector>[1];
  for (const [name, yaml] of Object.entries(SCENARIOS)) {
    const scenario = parseScenarioText(`${yaml}\nclients: { connections: 1 }\npublish: { rate: 1, duration: 1s }\n`, `${name}.yaml`);
    // A builtin target with a url starts nothing: preparing any of these opens no connection.
    const target = await targetAdapter(scenario.target.kind).prepare(scenario.target, {
      channelNames: scenario.channelNames,
      connections: 1,
      redisUrl: 'redis://127.0.0.1:1',
      longPollTimeoutMs: 1000,
      publishVia: scenario.publish.via,
    });
    // Specs cross a process boundary: they must survive structured cloning unchanged.
    assert.deepEqual(structuredClone(target.clientProtocol), target.clientProtocol, name);
    assert.deepEqual(structuredClone(target.injector), target.injector, name);
    assert.deepEqual(structuredClone(target.upstream), target.upstream, name);
    const protocol = createClientProtocol(structuredClone(target.clientProtocol), { channel: 'bench', clientIndex: 0, send: () => {} });
    assert.equal(typeof protocol.received, 'function', name);
    assert.equal(typeof createInjector(structuredClone(target.injector), redisStub).inject, 'function', name);
    await target.stop();
  }
  assert.throws(() => createClientProtocol({ kind: 'nope' }, { channel: 'c', clientIndex: 0, send: () => {} }), /no client protocol/);
  assert.throws(() => createInjector({ kind: 'nope' }, redisStub), /no injector/);
});
