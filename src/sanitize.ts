/**
 * The last step before anything leaves wsbench: secrets redacted (src/secrets.ts) and text from
 * peers made inert (src/peer-text.ts). Reports, gate verdicts and engine events carry error
 * samples, close reasons, HTTP bodies and URLs; the scenario part of a report is the user's own
 * data and is only redacted (JSON escapes its control characters anyway). A leaf like the two it
 * combines: the library (`api/run-scenario.ts`: what `runScenario` returns, emits and throws) and
 * the CLI (its own lines) both end here.
 */
import { inert } from './peer-text.js';
import { mapStrings, redactDeep, redactSecrets, redactText } from './secrets.js';

const safeString = (text: string) => inert(redactText(text));

/** Text of one or more lines: each line redacted and inert, the line breaks kept. */
export function safeText(text: string): string {
  return text.split('\n').map(safeString).join('\n');
}

/** A copy of plain data (an engine event, a gate verdict) with every string redacted and inert. */
export function sanitizeData<T>(value: T): T {
  return mapStrings(value, safeString) as T;
}

/**
 * A report safe to hand out: every string redacted and inert, the scenario redacted only. The
 * report itself when nothing changed (a copy otherwise), like `mapStrings`.
 */
export function sanitizeReport<T extends { scenario?: unknown }>(report: T): T {
  const { scenario, ...rest } = report;
  const safeRest = mapStrings(rest, safeString);
  const safeScenario = redactDeep(scenario);
  if (safeRest === rest && safeScenario === scenario) return report;
  return { ...(safeRest as object), ...('scenario' in report ? { scenario: safeScenario } : {}) } as T;
}

/**
 * A report that comes from outside this run (a file, a caller's object): nothing in it is the
 * user's own trusted text, so its scenario is redacted by structure too (header values, secret
 * keys: `redactSecrets`) and every string, the scenario's included, is redacted and inert.
 */
export function sanitizeForeignReport<T extends { scenario?: unknown }>(report: T): T {
  const structured = 'scenario' in report ? ({ ...report, scenario: redactSecrets(report.scenario) } as T) : report;
  return mapStrings(structured, safeString) as T;
}

/**
 * An error made safe to print, in place: the message and stack of it and of every `cause` below
 * it (bounded, in case of a cycle), each line redacted and inert. In place because an error's
 * identity (its class, its fields such as a partial report) is what a caller catches.
 */
export function sanitizeError<E>(error: E): E {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 10; depth++) {
    const safeMessage = safeText(current.message);
    if (safeMessage !== current.message) current.message = safeMessage;
    if (current.stack !== undefined) {
      const safeStack = safeText(current.stack);
      if (safeStack !== current.stack) current.stack = safeStack;
    }
    current = current.cause;
  }
  return error;
}
