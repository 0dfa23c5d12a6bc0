/**
 * Field types shared by the scenario schema and the target adapters' schemas (each adapter owns
 * its `target` keys): human units resolved to plain numbers (durations in ms, sizes in bytes),
 * WebSocket URL templates, handshake headers, readiness settings. A leaf: it imports only units.
 */
import { z } from 'zod';
import { MAX_DURATION_MS, parseDurationMs, parseSizeBytes } from './units.js';

export type Parser = (v: string | number) => number | undefined;

export function unitValue(parse: Parser, what: string, example: string, check: (n: number) => string | undefined) {
  return z.union([z.string(), z.number()], { error: `expected a ${what} such as ${example}` }).transform((value, ctx) => {
    const parsed = parse(value);
    if (parsed === undefined) {
      // A number the parser refused is one too large to be finite (1e308 seconds).
      const tooLarge = typeof value === 'number' || /^\s*\d[\d.]*e\+?\d+\s*$/i.test(value);
      const message = tooLarge ? `${JSON.stringify(value)}: is too large` : `"${value}" is not a ${what} (e.g. ${example})`;
      ctx.issues.push({ code: 'custom', input: value, message });
      return z.NEVER;
    }
    const problem = check(parsed);
    if (problem) {
      ctx.issues.push({ code: 'custom', input: value, message: `${JSON.stringify(value)}: ${problem}` });
      return z.NEVER;
    }
    return parsed;
  });
}

const atMostAWeek = (n: number) => (n > MAX_DURATION_MS ? 'must be at most 168h (7 days)' : undefined);
const nonNegative = (n: number) => (n < 0 ? 'must not be negative' : atMostAWeek(n));
const positive = (n: number) => (n <= 0 ? 'must be greater than zero' : atMostAWeek(n));

export const duration = () =>
  unitValue(parseDurationMs, 'duration', '10s, 500ms, 2m', nonNegative).describe(
    'A duration: "10s", "500ms", "2m", "1m30s", or a number of seconds.',
  );
export const positiveDuration = () =>
  unitValue(parseDurationMs, 'duration', '10s, 500ms, 2m', positive).describe(
    'A duration greater than zero: "10s", "500ms", "2m", or a number of seconds.',
  );
export const size = (min: number, max: number) =>
  unitValue(parseSizeBytes, 'size', '64, 1KiB, 2kb', (n) =>
    !Number.isInteger(n)
      ? 'must be a whole number of bytes'
      : n < min
        ? `must be at least ${min} bytes`
        : n > max
          ? `must be at most ${max} bytes`
          : undefined,
  ).describe(`A size in bytes: 64, "1KiB", "2kb" (${min} to ${max}).`);

export function isValidUrl(s: string): boolean {
  try {
    const url = new URL(s);
    return url.hostname !== '';
  } catch {
    return false;
  }
}

export const wsUrlTemplate = z
  .string()
  .refine((s) => /^wss?:\/\//i.test(s), { message: 'must start with ws:// or wss://' })
  .refine((s) => isValidUrl(s.replaceAll('{channels}', 'a,b').replaceAll('{channel}', 'channel').replaceAll('{client}', '0')), {
    message: 'is not a valid URL',
  })
  .describe(
    'WebSocket URL; {channel} is replaced by the channel name, {channels} by all of a client’s channels (comma-separated, clients.channelsPerClient) and {client} by the client index.',
  );

/** HTTP header names are tokens (RFC 9110 §5.1); values cannot break the request (no CR, LF or NUL). */
export const headerMap = z.record(
  z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'is not a valid HTTP header name'),
  z.string().regex(/^[^\r\n\0]*$/, 'a header value cannot contain a line break or NUL'),
);

/** Handshake headers of a stack adapter (cookies, auth); every value redacted from every output. */
export const headers = headerMap.default({}).describe('Extra HTTP headers for the WebSocket handshake (cookies, auth).');

/** Headers whose values may be shown; every other header value is redacted from every output (src/secrets.ts). */
export const publicHeaders = z
  .array(z.string().min(1))
  .default([])
  .describe('Header names whose values may appear in reports, logs and errors (case-insensitive); every other header value is redacted.');

/** Readiness of a stack adapter: the adapter knows the signal, the scenario says how long to wait. */
export const stackReadiness = z
  .strictObject({
    timeout: positiveDuration().default(10_000).describe('Give up waiting for readiness after this long.'),
    settle: duration().default(0).describe('Extra wait after readiness, before the first publish.'),
  })
  .describe('How long to wait for every client to be subscribed (the adapter knows the signal).');
