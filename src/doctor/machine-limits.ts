/**
 * How many connections this machine can hold for a run, from a few system facts. Pure: the facts
 * are read elsewhere (probe.ts), so the arithmetic is table-tested.
 */

export interface SystemFacts {
  /** Soft and hard RLIMIT_NOFILE of a process started from here. */
  openFilesSoft: number;
  openFilesHard: number;
  /** net.ipv4.ip_local_port_range. */
  portRange: [number, number];
  somaxconn: number;
  cores: number;
  totalMemoryBytes: number;
}

export interface CapacityInput {
  facts: SystemFacts;
  /** Connections the run wants (0 = just report the machine's reach). */
  connections: number;
  /** Client worker processes the run will use. */
  workers: number;
  /** Server processes when wsbench runs the reference server (0 = the target is elsewhere). */
  serverProcesses: number;
  /** Source addresses the clients will use (1 when the OS chooses). */
  sourceAddresses: number;
}

export interface Limit {
  name: string;
  /** Connections this limit allows. */
  allows: number;
  /** What to change to raise it. */
  advice: string;
}

export interface CapacityVerdict {
  /** Connections the machine can hold under the tightest limit. */
  reach: number;
  limits: Limit[];
  /** The limits the wanted connection count breaks. */
  broken: Limit[];
}

/** File descriptors a process keeps for itself (stdio, IPC, Redis, listeners, logs). */
export const RESERVED_FDS = 100;
/** Memory per connection assumed for both ends together (tool + reference server), bytes. */
export const BYTES_PER_CONNECTION = 16 * 1024;

export function portsPerSource(range: [number, number]): number {
  return Math.max(0, range[1] - range[0] + 1);
}

export function capacity(input: CapacityInput): CapacityVerdict {
  const { facts } = input;
  const perProcess = Math.max(0, facts.openFilesSoft - RESERVED_FDS);
  const limits: Limit[] = [
    {
      name: `client file descriptors (${input.workers} worker${input.workers === 1 ? '' : 's'} × ${perProcess})`,
      allows: input.workers * perProcess,
      advice:
        facts.openFilesSoft < facts.openFilesHard
          ? `raise the soft limit (ulimit -n ${facts.openFilesHard}) or use more workers (--workers)`
          : `use more workers (--workers ${Math.ceil(Math.max(input.connections, 1) / perProcess)}); the hard limit ${facts.openFilesHard} is per process`,
    },
    {
      name: `ephemeral ports (${input.sourceAddresses} source address${input.sourceAddresses === 1 ? '' : 'es'} × ${portsPerSource(facts.portRange)})`,
      allows: input.sourceAddresses * portsPerSource(facts.portRange),
      advice:
        'spread over more source addresses (--local-address; 127.0.0.x is automatic for loopback targets) or widen net.ipv4.ip_local_port_range',
    },
    {
      name: `memory (${Math.round(facts.totalMemoryBytes / 2 ** 30)} GiB at ~${BYTES_PER_CONNECTION / 1024} KiB per connection, both ends)`,
      allows: Math.floor((facts.totalMemoryBytes * 0.8) / BYTES_PER_CONNECTION),
      advice: 'use a machine with more memory or split the load over machines',
    },
  ];
  if (input.serverProcesses > 0) {
    limits.push({
      name: `reference server file descriptors (${input.serverProcesses} process${input.serverProcesses === 1 ? '' : 'es'} × ${perProcess})`,
      allows: input.serverProcesses * perProcess,
      advice: `run the reference server in more processes (target.processes ${Math.ceil(Math.max(input.connections, 1) / perProcess)})`,
    });
  }
  const reach = Math.min(...limits.map((l) => l.allows));
  const broken = input.connections > 0 ? limits.filter((l) => l.allows < input.connections) : [];
  return { reach, limits, broken };
}
