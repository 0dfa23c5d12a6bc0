/**
 * `wsbench doctor`: what this machine can do before a big run — open-files limit, port range,
 * listen backlog, loopback source addresses, Redis (reachable, maxclients, redis-server binary),
 * the CPU the planned load needs (from measured costs) — and how many connections it can reach,
 * with what to change.
 */
import { spawnSync } from 'node:child_process';
import type { ArgumentsCamelCase } from 'yargs';
import type { DoctorArgs } from './flags/doctor.js';
import { capacity } from '../doctor/machine-limits.js';
import { BUSY_SHARE, COST_SOURCE, estimateCpu, type CpuEstimate } from '../doctor/cpu-estimate.js';
import { parseRatePerSec } from '../config/units.js';
import { canBind, readSystemFacts } from '../doctor/probe.js';
import { defaultWorkerCount } from '../engine/workers.js';
import { sourceAddresses } from '../engine/source-addresses.js';
import { openRedis } from '../redis/client.js';
import { redactText } from '../secrets.js';
import { ConfigError, messageOf } from '../errors.js';
import { reportError } from './errors.js';
import { safeText } from '../sanitize.js';
import { ExitCode } from '../exit-codes.js';
import { fmtApprox, fmtInt, fmtNum } from '../reporters/format.js';

/** `doctor`'s handler (its flags are in ./flags/doctor.ts, its name and description in main.ts). */
export const doctorCommand = {
  handler: async (argv: ArgumentsCamelCase<DoctorArgs>) => {
    process.exitCode = await doctor(argv);
  },
};

/** Numbers the plan is made of: whole and in range (yargs hands over NaN for text). */
function checkDoctorArgs(argv: DoctorArgs): void {
  const whole = (value: number | undefined, flag: string, min: number, max: number) => {
    if (value === undefined) return;
    if (Number.isNaN(value)) throw new ConfigError('is not a number', { key: flag });
    if (!Number.isInteger(value) || value < min || value > max)
      throw new ConfigError(`must be a whole number from ${min} to ${max.toLocaleString('en-US')}`, { key: flag });
  };
  // A plan, not a run: any count may be asked about (the answer says what the machine can reach).
  whole(argv.connections, '--connections', 0, Number.MAX_SAFE_INTEGER);
  whole(argv.workers, '--workers', 1, 64);
  whole(argv['server-processes'], '--server-processes', 0, 64);
  if (argv.redis !== undefined && !/^rediss?:\/\/./i.test(argv.redis))
    throw new ConfigError('must be a redis:// or rediss:// URL', { key: '--redis' });
  if (!/^wss?:\/\/./i.test(argv.target)) throw new ConfigError('must be a ws:// or wss:// URL', { key: '--target' });
}

const ok = (text: string) => `  ok    ${text}`;
const warn = (text: string) => `  warn  ${text}`;
const fail = (text: string) => `  FAIL  ${text}`;

async function doctor(argv: DoctorArgs): Promise<number> {
  let ratePerSec: number | null = null;
  try {
    checkDoctorArgs(argv);
    if (argv.rate !== undefined) {
      ratePerSec = parseRatePerSec(argv.rate) ?? null;
      if (ratePerSec === null || ratePerSec <= 0)
        throw new ConfigError(`"${argv.rate}": expected publishes per second, e.g. 200 or 5k/s`, { key: '--rate' });
    }
    if (!Number.isInteger(argv.channels) || argv.channels < 1)
      throw new ConfigError(`"${argv.channels}": must be a whole number ≥ 1`, { key: '--channels' });
  } catch (e) {
    return reportError(e, argv.verbose ?? false);
  }
  const out: string[] = ['wsbench doctor', ''];
  const facts = readSystemFacts();
  let problems = 0;

  out.push('System');
  out.push(ok(`${facts.cores} cores, ${Math.round(facts.totalMemoryBytes / 2 ** 30)} GiB memory`));
  const files = `open files: soft ${fmtInt(facts.openFilesSoft)}, hard ${fmtInt(facts.openFilesHard)} per process`;
  out.push(facts.openFilesSoft < 10_000 ? warn(`${files} — raise with ulimit -n ${facts.openFilesHard}`) : ok(files));
  const ports = facts.portRange[1] - facts.portRange[0] + 1;
  out.push(
    ok(`ephemeral ports ${facts.portRange[0]}–${facts.portRange[1]}: ${fmtInt(ports)} connections per (source address, destination)`),
  );
  out.push(
    facts.somaxconn < 1024
      ? warn(`listen backlog somaxconn ${facts.somaxconn} — handshake bursts may be refused; raise net.core.somaxconn`)
      : ok(`listen backlog somaxconn ${facts.somaxconn}`),
  );
  const extraSource = await canBind('127.0.0.2');
  out.push(
    extraSource
      ? ok('loopback source addresses 127.0.0.x usable')
      : warn('cannot bind 127.0.0.2: loopback runs are limited to one source address'),
  );

  out.push('', 'Redis');
  const binary = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (binary.status === 0) out.push(ok(`embedded Redis available: ${binary.stdout.trim().split(' ').slice(0, 3).join(' ')}`));
  else {
    out.push(warn('redis-server not found: install it (apt-get install redis-server) or always pass --redis'));
    problems++;
  }
  if (argv.redis) {
    try {
      const redis = await openRedis(argv.redis, { name: 'wsbench-doctor', connectTimeoutMs: 3000 });
      try {
        const info = (await redis.config('GET', 'maxclients')) as string[];
        const maxclients = Number(info[1] ?? 0);
        out.push(ok(`${redactText(argv.redis)} reachable; maxclients ${fmtInt(maxclients)}`));
        if (argv.connections > maxclients) {
          out.push(
            warn(
              `stacks with one Redis connection per WebSocket (ws4redis) need maxclients ≥ ${fmtInt(argv.connections)}: CONFIG SET maxclients (bounded by Redis's own open-files limit)`,
            ),
          );
        }
      } catch (e) {
        out.push(ok(`${redactText(argv.redis)} reachable (CONFIG GET refused: ${messageOf(e)})`));
      } finally {
        redis.disconnect();
      }
    } catch (e) {
      out.push(fail(messageOf(e)));
      problems++;
    }
  }

  const workers = argv.workers ?? defaultWorkerCount(Math.max(argv.connections, 1), facts.cores);
  const sources = Math.max(1, sourceAddresses(undefined, argv.target, argv.connections).length);
  const verdict = capacity({
    facts,
    connections: argv.connections,
    workers,
    serverProcesses: argv['server-processes'],
    sourceAddresses: sources,
  });
  out.push(
    '',
    `Capacity (${workers} worker${workers === 1 ? '' : 's'}, ${sources} source address${sources === 1 ? '' : 'es'}, ${argv['server-processes']} server process${argv['server-processes'] === 1 ? '' : 'es'})`,
  );
  for (const limit of verdict.limits) {
    const line = `${limit.name}: ${fmtInt(limit.allows)}`;
    out.push(verdict.broken.includes(limit) ? fail(`${line} — ${limit.advice}`) : ok(line));
  }
  const cpu = estimateCpu({
    cores: facts.cores,
    connections: argv.connections,
    ratePerSec,
    channels: argv.channels,
    serverHere: argv['server-processes'] > 0,
  });
  out.push(
    '',
    `CPU (${facts.cores} core${facts.cores === 1 ? '' : 's'}; ${COST_SOURCE})`,
    ...cpuLines(cpu, argv.connections, ratePerSec, argv.channels),
  );
  if (cpu.verdict === 'too-much') problems++;

  out.push('', `This machine can reach about ${fmtInt(verdict.reach)} connections with these settings.`);
  if (argv.connections > 0) {
    const load = ratePerSec === null ? '' : ` at ${fmtInt(ratePerSec)} publishes/s`;
    out.push(
      verdict.broken.length > 0
        ? `${fmtInt(argv.connections)} connections: not with these settings (see FAIL above).`
        : cpu.verdict === 'too-much'
          ? `${fmtInt(argv.connections)} connections${load}: not on this machine's CPU (see FAIL above).`
          : ratePerSec === null
            ? `${fmtInt(argv.connections)} connections: within the limits above; the CPU they need depends on the deliveries/s (--rate).`
            : `${fmtInt(argv.connections)} connections${load}: fine${cpu.verdict === 'busy' ? ', but close to the CPU limit (see warn above)' : ''}.`,
    );
    problems += verdict.broken.length;
  }
  // Error messages from Redis may carry a URL or a server's words.
  process.stdout.write(safeText(out.join('\n')) + '\n');
  return problems > 0 ? ExitCode.SETUP_FAILED : ExitCode.OK;
}

function cpuLines(cpu: CpuEstimate, connections: number, ratePerSec: number | null, channels: number): string[] {
  const lines: string[] = [];
  const [low, high] = cpu.usPerDelivery;
  if (connections > 0) {
    const spread =
      cpu.connectionSecondsOnAllCores >= 5
        ? `: spread the opening over ≥ ${fmtInt(Math.ceil(cpu.connectionSecondsOnAllCores))} s (clients.rampUp), the CPU cannot open them faster`
        : '';
    lines.push(
      ok(
        `${fmtInt(connections)} connections: ≈ ${fmtNum(cpu.connectionCpuSeconds)} CPU-s to open, hold and close (${fmtNum(cpu.msPerConnection)} ms each)${spread}`,
      ),
    );
  }
  const ceiling = `this machine carries ≈ ${fmtApprox(cpu.maxDeliveriesPerSec[0])}–${fmtApprox(cpu.maxDeliveriesPerSec[1])} deliveries/s at ${fmtNum(low)}–${fmtNum(high)} µs each`;
  if (cpu.deliveriesPerSec === null || cpu.deliveryCores === null || ratePerSec === null) {
    lines.push(ok(`${ceiling} (give --rate for the planned load)`));
    return lines;
  }
  const perChannel = connections / Math.max(1, channels);
  const need =
    `${fmtInt(ratePerSec)} publishes/s × ${fmtInt(perChannel)} clients per channel = ${fmtApprox(cpu.deliveriesPerSec)} deliveries/s ` +
    `≈ ${fmtNum(cpu.deliveryCores[0])}–${fmtNum(cpu.deliveryCores[1])} cores (${fmtNum(low)} µs each when messages share reads and writes, ${fmtNum(high)} µs when each goes alone)`;
  if (cpu.verdict === 'too-much')
    lines.push(fail(`${need} — more than this machine has: lower the rate or clients, or spread the load over machines`));
  else if (cpu.verdict === 'busy')
    lines.push(
      warn(
        `${need} — above ${BUSY_SHARE * 100} % of the cores at worst: the run may measure wsbench (it flags itself when it is the bottleneck)`,
      ),
    );
  else lines.push(ok(need));
  return lines;
}
