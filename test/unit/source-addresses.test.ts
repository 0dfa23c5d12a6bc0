import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopbackHost, sourceAddresses } from '../../src/engine/source-addresses.js';

test('loopback hosts', () => {
  const cases: [string, boolean][] = [
    ['127.0.0.1', true],
    ['127.3.2.1', true],
    ['localhost', true],
    ['[::1]', true],
    ['10.0.0.1', false],
    ['example.org', false],
    ['1270.0.0.1', false],
  ];
  for (const [host, loopback] of cases) assert.equal(isLoopbackHost(host), loopback, host);
});

test('source addresses: as configured, else 127.0.0.x as the connection count needs for loopback', () => {
  const cases: { configured?: string[]; url: string; connections: number; want: string[] }[] = [
    { url: 'ws://127.0.0.1:8080/ws/{channel}', connections: 1000, want: [] },
    { url: 'ws://127.0.0.1:8080/ws/{channel}', connections: 5_000, want: [] },
    { url: 'ws://127.0.0.1:8080/ws/{channel}', connections: 5_001, want: ['127.0.0.1', '127.0.0.2'] },
    { url: 'ws://localhost:8080/ws/{channel}', connections: 100_000, want: Array.from({ length: 20 }, (_, i) => `127.0.0.${i + 1}`) },
    { url: 'ws://10.1.2.3:8080/ws', connections: 100_000, want: [] },
    { configured: ['10.9.9.9'], url: 'ws://127.0.0.1/ws', connections: 10, want: ['10.9.9.9'] },
  ];
  for (const c of cases) assert.deepEqual(sourceAddresses(c.configured, c.url, c.connections), c.want, `${c.url} ${c.connections}`);
});
