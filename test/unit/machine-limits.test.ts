import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capacity, type SystemFacts } from '../../src/doctor/machine-limits.js';

const machine: SystemFacts = {
  openFilesSoft: 20_000,
  openFilesHard: 20_000,
  portRange: [32768, 60999],
  somaxconn: 4096,
  cores: 2,
  totalMemoryBytes: 24 * 2 ** 30,
};

const cases: {
  name: string;
  facts?: Partial<SystemFacts>;
  connections: number;
  workers: number;
  server: number;
  sources: number;
  reach: number;
  broken: RegExp[];
}[] = [
  { name: 'one worker, one server process, one source', connections: 10_000, workers: 1, server: 1, sources: 1, reach: 19_900, broken: [] },
  {
    name: '100k with too few server processes',
    connections: 100_000,
    workers: 7,
    server: 1,
    sources: 5,
    reach: 19_900,
    broken: [/reference server file descriptors/],
  },
  { name: '100k planned right', connections: 100_000, workers: 7, server: 6, sources: 5, reach: 119_400, broken: [] },
  {
    name: 'ports are the limit with one source',
    connections: 50_000,
    workers: 3,
    server: 0,
    sources: 1,
    reach: 28_232,
    broken: [/ephemeral ports/],
  },
  {
    name: 'low soft limit',
    facts: { openFilesSoft: 1024 },
    connections: 5000,
    workers: 1,
    server: 0,
    sources: 1,
    reach: 924,
    broken: [/client file descriptors/],
  },
  { name: 'machine reach only', connections: 0, workers: 2, server: 2, sources: 2, reach: 39_800, broken: [] },
];

for (const c of cases) {
  test(`capacity: ${c.name}`, () => {
    const verdict = capacity({
      facts: { ...machine, ...c.facts },
      connections: c.connections,
      workers: c.workers,
      serverProcesses: c.server,
      sourceAddresses: c.sources,
    });
    assert.equal(verdict.reach, c.reach);
    assert.equal(verdict.broken.length, c.broken.length, verdict.broken.map((b) => b.name).join('; '));
    c.broken.forEach((pattern, i) => assert.match(verdict.broken[i]!.name, pattern));
  });
}

test('advice for a low soft limit says to raise it', () => {
  const verdict = capacity({
    facts: { ...machine, openFilesSoft: 1024 },
    connections: 5000,
    workers: 1,
    serverProcesses: 0,
    sourceAddresses: 1,
  });
  assert.match(verdict.broken[0]!.advice, /ulimit -n 20000/);
});
