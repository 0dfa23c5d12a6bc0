/**
 * The facts of a scenario that decide whether two runs compare (src/gate/scenario-diff.ts), as
 * canonical text: units resolved (`2s` = `2000ms`), defaults filled in, secrets redacted. A
 * report's scenario is stored as run (raw, after flags); it is validated again to get there.
 */
import { parseScenarioText } from '../config/load.js';
import type { Scenario } from '../config/resolve.js';
import { formatDuration, parseDurationMs } from '../config/units.js';
import { messageOf } from '../errors.js';
import { inEffectWarning, scenarioDifferences, scenarioMismatchWarning, type ScenarioFacts } from '../gate/scenario-diff.js';
import { fmtInt } from '../reporters/format.js';
import type { RunReport } from '../results/types.js';
import { redactText } from '../secrets.js';
import { readThrottleOf } from '../config/slow-clients.js';
import { describeReadThrottle } from '../results/client-classes.js';

export function scenarioFacts(s: Scenario): ScenarioFacts {
  const target = s.target as { kind: string; url?: string; processes?: number | 'auto'; tls?: unknown; perMessageDeflate?: unknown };
  const channels = s.publish.channels;
  const secure = (target.tls !== undefined && target.tls !== false) || /^wss:/i.test(target.url ?? '');
  const compression = s.clients.compression;
  return {
    'target.kind': target.kind,
    ...(target.url !== undefined ? { 'target.url': redactText(target.url) } : {}),
    ...(target.processes !== undefined ? { 'target.processes': String(target.processes) } : {}),
    'clients.connections': fmtInt(s.clients.connections),
    'clients.workers': s.clients.workers === undefined ? 'auto' : String(s.clients.workers),
    'clients.wsClient': s.clients.wsClient,
    // Slow consumers change what every client sees (the server's buffers, head-of-line blocking).
    ...(s.clients.slow
      ? {
          'clients.slow': `${+(s.clients.slow.fraction * 100).toFixed(3)}% ${describeReadThrottle(readThrottleOf(s.clients.slow))}`,
        }
      : {}),
    // Clients in several channels change every figure (fan-out per message, deliveries per client);
    // only said when set, so reports from before them still compare with one-channel runs.
    ...(s.clients.channelsPerClient !== undefined && s.clients.channelsPerClient > 1
      ? { 'clients.channelsPerClient': String(s.clients.channelsPerClient) }
      : {}),
    ...(s.clients.membership !== undefined
      ? { 'clients.membership': `[${s.clients.membership.map((g) => `[${g.join(', ')}]`).join(', ')}]` }
      : {}),
    'publish.rate': `${+s.publish.rate.toFixed(3)}/s`,
    'publish.duration': exactDuration(s.publish.duration),
    'publish.payloadSize': `${fmtInt(s.publish.payloadSize)} B`,
    'publish.channels': Array.isArray(channels) ? `[${channels.join(', ')}]` : String(channels),
    'publish.encoding': s.encoding,
    // Who sends the messages changes what the latency measures (the chat round trip); only said
    // when clients send, so reports from before publish.via still compare with today's.
    ...(s.senders > 0 ? { 'publish.via': s.publish.via, 'publish.senders': String(s.senders) } : {}),
    ...(s.publish.padding !== 'plain' ? { 'publish.padding': s.publish.padding } : {}),
    ...(target.tls !== undefined ? { 'target.tls': target.tls === false ? 'off' : target.tls === true ? 'generated' : 'files' } : {}),
    ...(target.perMessageDeflate !== undefined ? { 'target.perMessageDeflate': deflateFact(target.perMessageDeflate) } : {}),
    ...(secure ? { 'clients.tls.resumeSessions': String(s.clients.tls.resumeSessions) } : {}),
    'clients.compression': compression === 'off' ? 'off' : `${compression} (${offerFact(s.clients.deflate)})`,
    warmup: exactDuration(s.warmup),
    transports: s.transports.join(', '),
  };
}

/** The server's compression setting as one canonical line. */
function deflateFact(setting: unknown): string {
  if (setting === false) return 'off';
  if (setting === true) return 'on';
  return Object.entries(setting as Record<string, unknown>)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

/** The clients' permessage-deflate offer as one canonical line. */
function offerFact(deflate: Scenario['clients']['deflate']): string {
  const parts = [];
  if (deflate.serverNoContextTakeover) parts.push('server_no_context_takeover');
  if (deflate.clientNoContextTakeover) parts.push('client_no_context_takeover');
  if (deflate.serverMaxWindowBits !== undefined) parts.push(`server_max_window_bits=${deflate.serverMaxWindowBits}`);
  parts.push(deflate.clientMaxWindowBits === true ? 'client_max_window_bits' : `client_max_window_bits=${deflate.clientMaxWindowBits}`);
  return parts.join('; ');
}

/**
 * Whether `baseline` and `current` had the same TLS and compression in effect (as negotiated, not
 * as configured: a server may decline an offer); a warning naming the differences if not.
 */
export function connectionWarning(
  baseline: Pick<RunReport, 'transports'>,
  current: Pick<RunReport, 'transports'>,
  source: string,
): string | null {
  return inEffectWarning(baseline, current, source);
}

/** `2s`, `1m30s` — or `1234ms` when the short form would round (two facts must differ when the values do). */
function exactDuration(ms: number): string {
  const short = formatDuration(ms);
  return parseDurationMs(short) === ms ? short : `${ms}ms`;
}

/** The facts of the scenario a report ran, or why they cannot be read. */
export function reportScenarioFacts(report: Pick<RunReport, 'scenario'>): { facts: ScenarioFacts } | { problem: string } {
  try {
    // The same validation as a file (JSON is YAML); no file name, so errors name just the key.
    return { facts: scenarioFacts(parseScenarioText(JSON.stringify(report.scenario ?? {}), '')) };
  } catch (e) {
    // One line: a scenario with several problems has a count line and a line per problem.
    const [first = '', ...rest] = messageOf(e)
      .split('\n')
      .map((l) => l.trim());
    return { problem: rest.length > 0 ? `${first} ${rest.join('; ')}` : first };
  }
}

/** Whether `baseline` ran the scenario these facts describe; a warning naming what differs if not. */
export function baselineScenarioWarning(baseline: Pick<RunReport, 'scenario'>, current: ScenarioFacts, source: string): string | null {
  const read = reportScenarioFacts(baseline);
  if ('problem' in read) return `cannot tell whether the baseline ${source} ran the same scenario (${read.problem})`;
  return scenarioMismatchWarning(source, scenarioDifferences(read.facts, current));
}
