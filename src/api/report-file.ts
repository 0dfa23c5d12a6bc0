/**
 * Reading a report JSON written by `wsbench run --out` (for `--baseline`, `wsbench compare`,
 * `wsbench report`, and library callers through `readReport`). Anything that is not a readable
 * wsbench report is a ConfigError naming the file (or the option it came from) and the first field
 * that is wrong, before anything starts: every field the gate and the reporters read is checked,
 * histograms are decoded with a bounded inflate (no zlib bombs). A library caller who passes a
 * report object as a baseline gets the same checks through `checkReport`. What is returned is
 * safe to show (it ends up in tables, lines and verdicts): secrets redacted, its scenario's by
 * structure too, and every string inert (src/sanitize.ts) — the report may come from anywhere.
 */
import { inflateSync } from 'node:zlib';
import { z } from 'zod';
import { formatPath } from '../config/load.js';
import { readTextFile } from '../config/text-file.js';
import { ConfigError, type ConfigLocation } from '../errors.js';
import { decodeHistogram } from '../metrics/histogram.js';
import { inert } from '../peer-text.js';
import { REPORT_SCHEMA, type RunReport } from '../results/types.js';
import { sanitizeForeignReport } from '../sanitize.js';

/** Largest report read (a three-transport report with --repeat 10 is well under 5 MiB). */
export const MAX_REPORT_BYTES = 64 * 1024 * 1024;
/** Largest decompressed histogram (a full 1 µs – 1 h histogram is about 0.4 MiB): no zlib bombs. */
const MAX_HISTOGRAM_BYTES = 4 * 1024 * 1024;

const num = z.number();
const latency = z.looseObject({ count: num, min: num, mean: num, p50: num, p90: num, p99: num, p999: num, max: num, stddev: num });

/** An HdrHistogram in compressed base64 that decodes within bounds. */
const histogram = z.string().superRefine((encoded, ctx) => {
  try {
    const bytes = Buffer.from(encoded, 'base64');
    // V2 compressed: 4-byte cookie, 4-byte length, then zlib data. Inflate bounded before the library does it unbounded.
    inflateSync(bytes.subarray(8), { maxOutputLength: MAX_HISTOGRAM_BYTES });
    decodeHistogram(encoded);
  } catch (e) {
    const why = e instanceof RangeError ? `decompresses to more than ${MAX_HISTOGRAM_BYTES / (1024 * 1024)} MiB` : (e as Error).message;
    ctx.issues.push({ code: 'custom', input: encoded, message: `not a readable histogram (${why})` });
  }
});

const transportReport = z.looseObject({
  transport: z.enum(['websocket', 'longpoll', 'poll']),
  fanoutLatencyMs: latency,
  firstRecipientLatencyMs: latency,
  lastRecipientLatencyMs: latency,
  connectLatencyMs: latency,
  incompletePublishes: num,
  delivery: z.looseObject({
    expected: num,
    delivered: num,
    lost: num,
    duplicated: num,
    reordered: num,
    ignored: num,
    lostRatio: num,
    deliveryRatio: num,
    // Added within v1 (older reports lack them): checked when present.
    unpublished: num.optional(),
    notOwed: num.optional(),
  }),
  throughput: z.looseObject({
    deliveriesPerSec: num,
    publishesPerSec: num,
    targetPublishesPerSec: num,
    publishes: num,
    publishFailures: num.optional(),
    publisherLagMs: latency,
  }),
  connections: z.looseObject({
    target: num,
    opened: num,
    failed: num,
    closedEarly: num,
    churn: z.looseObject({ closed: num, opened: num, failed: num }).optional(),
  }),
  // With events in the scenario (absent otherwise, and from reports written before them).
  reconnects: z
    .looseObject({
      count: num,
      failed: num,
      dropped: num,
      timeToReconnectMs: z.looseObject({ p50: num, p99: num, max: num }),
      allReconnectedMs: num.nullable(),
      events: z.array(z.looseObject({ index: num, kind: z.enum(['storm', 'server-restart']) })),
      histogram,
    })
    .optional(),
  errors: z.record(z.string(), num),
  errorSamples: z.record(z.string(), z.string()),
  clampedSamples: num,
  wire: z.looseObject({ bytesIn: num, bytesOut: num, requests: num }),
  bytesPerDelivery: num,
  requestsPerDelivery: num,
  toolCpuUsPerDelivery: num,
  serverCpuUsPerDelivery: num.nullable(),
  tool: z.looseObject({ maxCpuPercent: num, maxEventLoopDelayP99Ms: num, bottleneck: z.boolean(), bottleneckReasons: z.array(z.string()) }),
  histograms: z.looseObject({
    fanout: histogram,
    firstRecipient: histogram,
    lastRecipient: histogram,
    connect: histogram,
    publisherLag: histogram,
  }),
  // TLS and compression in effect (absent from reports written before they were recorded).
  tls: z
    .looseObject({ handshakes: num, negotiated: z.record(z.string(), num), resumedSessions: num })
    .nullable()
    .optional(),
  compression: z
    .looseObject({
      mode: z.enum(['off', 'offer', 'require']),
      connections: num,
      share: num,
      parameters: z.record(z.string(), num),
      payloadBytes: num,
      ratio: num,
    })
    .optional(),
});

const transports = z
  .looseObject({ websocket: transportReport.optional(), longpoll: transportReport.optional(), poll: transportReport.optional() })
  .refine((t) => Object.values(t).some((x) => x !== undefined), { message: 'has no transport results' });

const run = z.looseObject({
  id: z.string(),
  name: z.string().optional(),
  startedAt: z.string(),
  durationMs: num,
  completed: z.boolean(),
  stopReason: z.string().optional(),
});

const reportSchema = z.looseObject({
  schema: z.literal(REPORT_SCHEMA),
  tool: z.looseObject({ version: z.string() }),
  run,
  transports,
  repeats: z.array(z.looseObject({ run, transports })).optional(),
});

/**
 * Reads and checks a report file: a regular file (a FIFO is refused without waiting on it), at
 * most MAX_REPORT_BYTES. `key` names the option or flag the file came from (e.g. `--baseline`),
 * shown in errors with the file.
 */
export async function readReport(file: string, key?: string): Promise<RunReport> {
  const where: ConfigLocation = { file, ...(key ? { key } : {}) };
  const text = await readTextFile(file, MAX_REPORT_BYTES, where);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`not a JSON report: ${(e as Error).message}`, where, { cause: e });
  }
  return checkReport(data, where);
}

/** Whether a value (parsed JSON, or an object from code) is a report wsbench can read; a ConfigError at `where` if not. */
export function checkReport(data: unknown, where: ConfigLocation): RunReport {
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new ConfigError('not a wsbench report (not a JSON object)', where);
  const schema = (data as { schema?: unknown }).schema;
  if (schema === undefined) throw new ConfigError('not a wsbench report (no "schema" field)', where);
  if (schema !== REPORT_SCHEMA)
    throw new ConfigError(
      `report schema ${inert(JSON.stringify(schema) ?? '?').slice(0, 80)} is not supported (expected "${REPORT_SCHEMA}")`,
      where,
    );
  const result = reportSchema.safeParse(data, { reportInput: true });
  if (!result.success) {
    const issues = result.error.issues;
    const first = issues[0]!;
    const field = formatPath(first.path.map((p) => (typeof p === 'symbol' ? String(p) : p))) || '(top level)';
    const more = issues.length > 1 ? ` (${issues.length} problems in this report; this is the first)` : '';
    throw new ConfigError(`${inert(field)}: ${describe(first)}${more}`, where);
  }
  // Its text ends up in tables, lines and verdicts: no secret in it, nothing that may drive a terminal.
  return sanitizeForeignReport(data as RunReport);
}

function describe(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && input === undefined) return 'is missing';
  if (issue.code === 'invalid_type') {
    const got = input === null ? 'null' : Array.isArray(input) ? 'a list' : typeof input;
    return `expected ${issue.expected}, got ${got}`;
  }
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return issue.message;
}
