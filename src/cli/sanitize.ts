/**
 * The last step before anything reaches a terminal or a file: secrets redacted (src/secrets.ts)
 * and text from peers made inert (src/peer-text.ts). Reports and engine events carry error
 * samples, close reasons, HTTP bodies and URLs; the scenario part of a report is the user's own
 * data and is only redacted (JSON escapes its control characters anyway).
 */
import type { EngineEvent } from '../engine/events.js';
import { inert } from '../peer-text.js';
import type { RunReport } from '../results/types.js';
import { mapStrings, redactDeep, redactText } from '../secrets.js';

const safeString = (text: string) => inert(redactText(text));

/** Text of one or more lines: each line redacted and inert, the line breaks kept. */
export function safeText(text: string): string {
  return text.split('\n').map(safeString).join('\n');
}

export function sanitizeEvent(event: EngineEvent): EngineEvent {
  return mapStrings(event, safeString) as EngineEvent;
}

export function sanitizeReport<T extends Pick<RunReport, 'scenario'>>(report: T): T {
  const { scenario, ...rest } = report;
  return { ...(mapStrings(rest, safeString) as object), scenario: redactDeep(scenario) } as T;
}
