/**
 * The placement files (deploy/, Dockerfile) say what docs/distributed.md says of them: they parse;
 * the agents are an Indexed Job with parallelism = completions = N whose pod index names each
 * agent; requests, the port-range sysctl and the image are there; the agents' control Redis is the
 * Service the manifests create; every command line follows the contract the docs state (read
 * from the docs themselves, so the two cannot drift apart) and the scenario parses. No cluster or
 * Docker engine runs them here (see the docs): this is what can be checked without one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';
import yargs from 'yargs';
import { runFlags } from '../../src/cli/flags/run.js';
import { parseScenarioText } from '../../src/config/load.js';
import { agentNameProblem, labelProblem } from '../../src/distributed/protocol.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const K8S = join(ROOT, 'deploy/kubernetes');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const IMAGE = `wsbench:${VERSION}`;

type Obj = Record<string, unknown>;
const obj = (v: unknown, what: string): Obj => {
  assert.ok(v && typeof v === 'object' && !Array.isArray(v), `${what} is an object`);
  return v as Obj;
};
const list = (v: unknown, what: string): unknown[] => {
  assert.ok(Array.isArray(v), `${what} is a list`);
  return v;
};
const at = (v: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Obj)[key] : undefined), v);

/** Every Kubernetes object of deploy/kubernetes, by kind/name, with the file it is in. */
function k8sObjects(): Map<string, { file: string; doc: Obj }> {
  const out = new Map<string, { file: string; doc: Obj }>();
  for (const file of readdirSync(K8S).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')) {
    for (const d of parseAllDocuments(readFileSync(join(K8S, file), 'utf8'))) {
      assert.deepEqual(d.errors, [], `${file} parses`);
      const doc = obj(d.toJS(), file);
      out.set(`${String(doc.kind)}/${String(at(doc, 'metadata.name') ?? '')}`, { file, doc });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The command-line contract, as docs/distributed.md states it.

interface FlagSpec {
  takesValue: boolean;
  optional: boolean;
  repeatable: boolean;
}
interface Contract {
  positionals: string[];
  flags: Map<string, FlagSpec>;
}

/** The synopsis lines of "## The command line" in docs/distributed.md. */
function contracts(): { agent: Contract; run: Contract } {
  const doc = readFileSync(join(ROOT, 'docs/distributed.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## The command line'));
  const block = /```text\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const parseLine = (prefix: string): Contract => {
    const line = block.split('\n').find((l) => l.startsWith(prefix));
    assert.ok(line, `the docs give the synopsis of "${prefix}"`);
    const flags = new Map<string, FlagSpec>();
    const positionals: string[] = [];
    // "--redis <control URL>", "[--label k=v]…", "[--once]", "<scenario>"
    const tokens = /(\[)?(--[a-z-]+)((?: (?:<[^>]+>|[^\s\]]+)))?\]?(…)?|<([^>]+)>/g;
    for (const m of line.slice(prefix.length).matchAll(tokens)) {
      if (m[5]) positionals.push(m[5]);
      else flags.set(m[2]!, { takesValue: m[3] !== undefined, optional: m[1] === '[', repeatable: m[4] === '…' });
    }
    return { positionals, flags };
  };
  return { agent: parseLine('wsbench agent'), run: parseLine('wsbench run') };
}

/** The flags `wsbench run` has today (the contract adds the distributed ones). */
function existingRunFlags(): { flags: Set<string>; booleans: Set<string> } {
  const y = yargs([]);
  runFlags(y);
  // yargs' getOptions() is public API but missing from its type definitions.
  const options = (y as unknown as { getOptions(): { key: Record<string, unknown>; boolean: string[] } }).getOptions();
  return { flags: new Set(Object.keys(options.key).map((k) => `--${k}`)), booleans: new Set(options.boolean.map((k) => `--${k}`)) };
}

/** Substitutes Kubernetes' $(VAR) references with a sample value, as the kubelet would. */
const expand = (value: string) =>
  value.replace(/\$\(([A-Z_]+)\)/g, (_, name: string) => (name === 'JOB_COMPLETION_INDEX' ? '7' : 'node-a.example'));

/** Checks a command line (without "wsbench") against a contract; returns the flags' values. */
function checkCommand(
  argv: string[],
  contract: Contract,
  where: string,
  extra: { flags: Set<string>; booleans: Set<string> } = { flags: new Set(), booleans: new Set() },
) {
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const spec = contract.flags.get(arg);
    const known =
      spec ??
      (extra.flags.has(arg) || extra.flags.has(arg.replace(/^--no-/, '--'))
        ? { takesValue: !extra.booleans.has(arg.replace(/^--no-/, '--')), optional: true, repeatable: true }
        : null);
    assert.ok(known, `${where}: ${arg} is not in the documented contract`);
    const value = known.takesValue ? argv[++i] : '';
    assert.ok(value !== undefined && !value.startsWith('--'), `${where}: ${arg} needs a value`);
    assert.ok(known.repeatable || !values.has(arg), `${where}: ${arg} given twice`);
    values.set(arg, [...(values.get(arg) ?? []), value]);
  }
  for (const [flag, spec] of contract.flags) assert.ok(spec.optional || values.has(flag), `${where}: ${flag} is required`);
  assert.equal(
    positionals.length,
    contract.positionals.length,
    `${where}: positionals ${positionals.join(' ')} for <${contract.positionals.join('> <')}>`,
  );
  return { values, positionals };
}

function checkAgentCommand(argv: string[], where: string): Map<string, string[]> {
  assert.equal(argv[0], 'agent', `${where}: runs wsbench agent`);
  const { values } = checkCommand(argv.slice(1), contracts().agent, where);
  assert.equal(agentNameProblem(expand(values.get('--name')![0]!)), null, `${where}: --name is an agent name`);
  for (const label of values.get('--label') ?? []) {
    const [k, v] = expand(label).split('=');
    assert.equal(labelProblem(k ?? '', v ?? ''), null, `${where}: --label ${label}`);
  }
  for (const capacity of values.get('--capacity') ?? []) assert.match(capacity, /^[1-9]\d*$/, `${where}: --capacity is a count`);
  assert.match(values.get('--redis')![0]!, /^rediss?:\/\//, `${where}: --redis is a Redis URL`);
  return values;
}

test('the contract is read from the docs as written', () => {
  const { agent, run } = contracts();
  assert.deepEqual([...agent.flags.keys()], ['--redis', '--name', '--label', '--capacity', '--local-address', '--once']);
  assert.deepEqual(agent.flags.get('--local-address'), { takesValue: true, optional: true, repeatable: true });
  assert.deepEqual(agent.flags.get('--redis'), { takesValue: true, optional: false, repeatable: false });
  assert.deepEqual(agent.flags.get('--label'), { takesValue: true, optional: true, repeatable: true });
  assert.deepEqual(agent.flags.get('--once'), { takesValue: false, optional: true, repeatable: false });
  assert.deepEqual(run.positionals, ['scenario']);
  assert.deepEqual([...run.flags.keys()], ['--agents', '--agent-label', '--agents-wait', '--abort-on-fail']);
  assert.equal(run.flags.get('--agents')!.optional, false);
  // The checker can fail: an unknown flag, a missing one, a flag without its value.
  assert.throws(
    () => checkAgentCommand(['agent', '--redis', 'redis://x', '--name', 'a', '--replicas', '3'], 't'),
    /--replicas is not in the documented contract/,
  );
  assert.throws(() => checkAgentCommand(['agent', '--redis', 'redis://x'], 't'), /--name is required/);
  assert.throws(() => checkAgentCommand(['agent', '--redis', 'redis://x', '--name', '--once'], 't'), /--name needs a value/);
  assert.throws(() => checkAgentCommand(['agent', '--redis', 'redis://x', '--name', 'bad name'], 't'), /--name is an agent name/);
});

// ---------------------------------------------------------------------------------------------
// Kubernetes

test('kubernetes: every manifest parses, is listed in the kustomization, and uses the one image of this version', () => {
  const objects = k8sObjects();
  const kustomization = obj(parse(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8')), 'kustomization');
  const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
  assert.deepEqual([...list(kustomization.resources, 'resources')].sort(), files.sort());
  const images = stringify([...objects.values()].map((o) => o.doc)).match(/image: .*/g) ?? [];
  assert.ok(images.length >= 3);
  for (const image of images) assert.equal(image, `image: ${IMAGE}`);
  // One label finds everything wsbench put in the cluster (kubectl get all -l app.kubernetes.io/name=wsbench).
  for (const { doc, file } of objects.values())
    assert.equal(obj(at(doc, 'metadata.labels'), file)['app.kubernetes.io/name'], 'wsbench', file);
});

function agentsJob() {
  const job = k8sObjects().get('Job/wsbench-agents')?.doc;
  assert.ok(job, 'Job wsbench-agents');
  const pod = obj(at(job, 'spec.template.spec'), 'pod spec');
  const container = obj(list(pod.containers, 'containers')[0], 'agent container');
  return { job, pod, container };
}

test('kubernetes: the agents are an Indexed Job, parallelism = completions = N, named by JOB_COMPLETION_INDEX', () => {
  const { job, pod, container } = agentsJob();
  assert.equal(at(job, 'spec.completionMode'), 'Indexed');
  const n = at(job, 'spec.completions');
  assert.ok(typeof n === 'number' && n >= 1);
  assert.equal(at(job, 'spec.parallelism'), n, 'all agents run at once');
  assert.equal(pod.restartPolicy, 'Never');
  assert.ok(typeof at(job, 'spec.activeDeadlineSeconds') === 'number', 'agents do not wait forever');
  const values = checkAgentCommand(list(container.args, 'args') as string[], 'agents-job.yaml');
  assert.equal(values.get('--name')![0], 'agent-$(JOB_COMPLETION_INDEX)');
  assert.ok(values.has('--once'), 'one run per pod: the Job completes');
  // $(NODE_NAME) must be a declared variable for the kubelet to expand it (JOB_COMPLETION_INDEX is the Job controller's).
  const env = list(container.env ?? [], 'env').map((e) => obj(e, 'env').name);
  for (const ref of JSON.stringify(container.args).matchAll(/\$\(([A-Z_]+)\)/g)) {
    assert.ok(ref[1] === 'JOB_COMPLETION_INDEX' || env.includes(ref[1]), `$(${ref[1]}) is defined`);
  }
});

test('kubernetes: agents request resources, widen the port range with the safe sysctl, and reach the control Redis Service', () => {
  const { pod, container } = agentsJob();
  assert.ok(at(container, 'resources.requests.cpu'), 'CPU request');
  assert.ok(at(container, 'resources.requests.memory'), 'memory request');
  assert.equal(at(container, 'resources.limits.cpu'), undefined, 'no CPU limit (throttling would read as latency)');
  const sysctls = list(at(pod, 'securityContext.sysctls'), 'sysctls').map((s) => obj(s, 'sysctl'));
  const range = sysctls.find((s) => s.name === 'net.ipv4.ip_local_port_range');
  assert.ok(range, 'net.ipv4.ip_local_port_range is set');
  const [lo, hi] = String(range.value).split(/\s+/).map(Number);
  assert.ok(lo! >= 1024 && hi! <= 65535 && hi! - lo! > 28_232, `port range ${String(range.value)} is wider than the default`);
  // The agents' --redis is the control Redis Service this directory creates.
  const redisUrl = new URL(checkAgentCommand(container.args as string[], 'agents-job.yaml').get('--redis')![0]!);
  const service = k8sObjects().get(`Service/${redisUrl.hostname}`)?.doc;
  assert.ok(service, `Service ${redisUrl.hostname} exists`);
  const port = obj(list(at(service, 'spec.ports'), 'ports')[0], 'port');
  assert.equal(port.port, Number(redisUrl.port || 6379));
  const deployment = k8sObjects().get(`Deployment/${redisUrl.hostname}`)?.doc;
  assert.ok(deployment, 'the control Redis Deployment');
  assert.deepEqual(at(service, 'spec.selector'), at(deployment, 'spec.template.metadata.labels'), 'the Service selects the Redis pods');
  const redisContainer = obj(list(at(deployment, 'spec.template.spec.containers'), 'containers')[0], 'redis container');
  assert.deepEqual(redisContainer.command, ['redis-server'], "the image's own redis-server");
});

test('kubernetes: the coordinator runs the contract on a scenario that parses and names the same agents and control Redis', () => {
  const objects = k8sObjects();
  const job = objects.get('Job/wsbench-coordinator')?.doc;
  assert.ok(job, 'Job wsbench-coordinator');
  const pod = obj(at(job, 'spec.template.spec'), 'pod');
  const container = obj(list(pod.containers, 'containers')[0], 'coordinator');
  const args = list(container.args, 'args') as string[];
  assert.equal(args[0], 'run');
  // Here the scenario's distributed block names the agents, so --agents is not required.
  const run = contracts().run;
  const scenarioForm = { ...run, flags: new Map([...run.flags].map(([flag, spec]) => [flag, { ...spec, optional: true }])) };
  const { positionals } = checkCommand(args.slice(1), scenarioForm, 'coordinator-job.yaml', existingRunFlags());
  // The scenario path is the ConfigMap's key, mounted.
  const mount = obj(list(container.volumeMounts, 'mounts')[0], 'mount');
  const volume = list(pod.volumes, 'volumes')
    .map((v) => obj(v, 'volume'))
    .find((v) => v.name === mount.name)!;
  const configMap = objects.get(`ConfigMap/${String(at(volume, 'configMap.name'))}`)?.doc;
  assert.ok(configMap, 'the scenario ConfigMap');
  const key = positionals[0]!.slice(String(mount.mountPath).length + 1);
  const text = obj(at(configMap, 'data'), 'data')[key];
  assert.ok(typeof text === 'string', `ConfigMap has ${key}`);
  const { distributed } = obj(parse(text), 'scenario');
  // The whole scenario parses, its distributed block included.
  const scenario = parseScenarioText(text, 'coordinator-job.yaml#scenario.yaml');
  assert.equal(scenario.distributed?.agents, (distributed as { agents: unknown }).agents);
  const block = obj(distributed, 'distributed');
  assert.deepEqual(
    Object.keys(block).filter((k) => !['agents', 'labels', 'wait', 'controlRedis'].includes(k)),
    [],
    'only documented keys',
  );
  assert.equal(block.agents, at(agentsJob().job, 'spec.completions'), 'as many agents as the Job starts');
  assert.match(String(block.wait), /^\d+(ms|s|m)$/);
  assert.equal(
    block.controlRedis,
    checkAgentCommand(agentsJob().container.args as string[], 'agents').get('--redis')![0],
    'the same control Redis',
  );
  assert.ok(at(container, 'resources.requests.cpu'));
});

// ---------------------------------------------------------------------------------------------
// Docker

test('compose: a control Redis, the reference server, three agents under the contract, and a coordinator waiting for them', () => {
  const compose = obj(parse(readFileSync(join(ROOT, 'deploy/docker-compose.yaml'), 'utf8'), { merge: true }), 'compose');
  const services = obj(compose.services, 'services');
  const agents = Object.entries(services).filter(([name]) => name.startsWith('agent-'));
  assert.equal(agents.length, 3);
  const names = new Set<string>();
  for (const [service, def] of agents) {
    const s = obj(def, service);
    assert.equal(s.image, IMAGE);
    const values = checkAgentCommand(list(s.command, `${service} command`) as string[], `compose ${service}`);
    names.add(values.get('--name')![0]!);
    assert.equal(values.get('--redis')![0], 'redis://redis:6379');
    assert.ok(at(s, 'ulimits.nofile.hard'), `${service}: open-files limit`);
    assert.equal(obj(s.sysctls, 'sysctls')['net.ipv4.ip_local_port_range'], '1024 65535');
  }
  assert.equal(names.size, 3, 'agent names are unique');
  const coordinator = obj(services.coordinator, 'coordinator');
  const argv = list(coordinator.command, 'coordinator command') as string[];
  assert.equal(argv[0], 'run');
  const { values, positionals } = checkCommand(argv.slice(1), contracts().run, 'compose coordinator', existingRunFlags());
  assert.equal(Number(values.get('--agents')![0]), agents.length);
  for (const [service] of agents) assert.ok(list(coordinator.depends_on, 'depends_on').includes(service));
  // The scenario it mounts parses today, and its Redis is the agents' control Redis.
  const mount = (list(coordinator.volumes, 'volumes') as string[]).find((v) => v.includes(positionals[0]!))!;
  const scenario = parseScenarioText(readFileSync(join(ROOT, 'deploy', mount.split(':')[0]!), 'utf8'), 'compose-scenario.yaml');
  assert.equal(scenario.redis.url, 'redis://redis:6379');
  for (const [name, def] of Object.entries(services)) assert.equal(obj(def, name).image, IMAGE, `${name} image`);
});

test('Dockerfile: Node 20 slim with redis-server, the packed wsbench installed at build time, the entry point raises the open-files limit', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const stages = dockerfile.split('\n').filter((l) => /^FROM /.test(l));
  assert.match(stages.at(-1)!, /^FROM node:20-[a-z]+-slim$/, 'the image is node:20 slim');
  const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  assert.match(final, /apt-get install [^\n]*redis-server/);
  assert.match(dockerfile, /npm pack/);
  assert.match(final, /npm install --global [^\n]*\/tmp\/pkg\/wsbench-\*\.tgz/);
  assert.match(final, /COPY deploy\/docker-entrypoint\.sh \/usr\/local\/bin\/wsbench-entrypoint/);
  assert.match(final, /ENTRYPOINT \["wsbench-entrypoint"\]/);
  const entrypoint = join(ROOT, 'deploy/docker-entrypoint.sh');
  assert.ok((statSync(entrypoint).mode & 0o111) !== 0, 'the entry point is executable');
  const script = readFileSync(entrypoint, 'utf8');
  assert.match(script, /ulimit -Sn "\$hard"/);
  assert.match(script, /exec wsbench "\$@"/);
  assert.doesNotMatch(script + final.split('ENTRYPOINT')[1], /npx|curl|wget|npm install/, 'nothing fetched at run time');
  assert.match(readFileSync(join(ROOT, '.dockerignore'), 'utf8'), /^node_modules$/m);
});
