/**
 * `wsbench agent` processes for real-process tests of distributed runs: started with the real CLI
 * (in a network namespace when given one), their stderr kept, and every one stopped afterwards —
 * SIGTERM, then SIGKILL — with none of their worker processes left running.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './cli.js';
import { descendantsOf, isAlive, waitFor } from './processes.js';
import type { Netns } from './netns.js';

export interface Agent {
  name: string;
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The agents a test file started; `stopAll` (its afterEach) stops them. */
export class AgentProcesses {
  private readonly agents: Agent[] = [];
  private prefixCount = 0;

  /**
   * Starts `wsbench agent --redis url --name name …extra` (inside `inNs` when given; under
   * `wrapper` when given, a command that runs the rest, such as `unshare --time …`).
   */
  start(name: string, url: string, extra: string[] = [], inNs?: Netns, env: NodeJS.ProcessEnv = {}, wrapper: string[] = []): Agent {
    const args = [BIN, 'agent', '--redis', url, '--name', name, ...extra];
    const options = { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'ignore', 'pipe'] as ['ignore', 'ignore', 'pipe'] };
    const child = inNs
      ? inNs.spawn(process.execPath, args, options)
      : wrapper.length > 0
        ? spawn(wrapper[0]!, [...wrapper.slice(1), process.execPath, ...args], options)
        : spawn(process.execPath, args, options);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const agent = { name, child, stderr: () => stderr, exited };
    this.agents.push(agent);
    return agent;
  }

  /** Every agent stopped (SIGTERM, then SIGKILL), and none of their worker processes left. */
  async stopAll(): Promise<void> {
    const agents = this.agents;
    const pids = agents.flatMap((a) => (a.child.pid ? [a.child.pid, ...descendantsOf(a.child.pid)] : []));
    for (const a of agents) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGTERM');
    await Promise.race([Promise.all(agents.map((a) => a.exited)), new Promise((r) => setTimeout(r, 10_000))]);
    for (const a of agents) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
    await Promise.all(agents.map((a) => a.exited));
    agents.length = 0;
    const gone = await waitFor(() => pids.every((pid) => !isAlive(pid)), 10_000);
    assert.ok(gone, `processes left running: ${pids.filter(isAlive).join(', ')}`);
  }

  /** A control prefix per test, so that one test's agents never see another's coordinator. */
  nextPrefix(): string {
    return `wsbench:test${process.pid}-${this.prefixCount++}`;
  }
}

/** Waits until every agent said it registered. */
export async function registered(list: Agent[]): Promise<void> {
  const ok = await waitFor(() => list.every((a) => /registered/.test(a.stderr())), 20_000);
  assert.ok(ok, `agents did not register:\n${list.map((a) => a.stderr()).join('\n')}`);
}
