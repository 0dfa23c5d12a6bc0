/**
 * Shared pieces of the adapters' outgoing messages (publish.via websocket: a sender's message for
 * the app to publish). Each adapter says what its app expects as an UpstreamSpec template
 * (target.ts); these are the rules and builders they share. A leaf of targets/: no adapter here.
 */
import type { ScenarioFacts, TargetIssue } from './target.js';

/** Where the stamped payload goes in a template. */
export const PAYLOAD_SLOT = '{payload}';

/** A template that wraps the payload in text (JSON, an event array) needs a text payload. */
export function textTemplateIssues(template: string, path: (string | number)[], scenario: ScenarioFacts): TargetIssue[] {
  if (scenario.publishVia !== 'websocket' || template === PAYLOAD_SLOT) return [];
  if (scenario.encoding !== 'text')
    return [{ path, message: `${JSON.stringify(template)} puts the payload inside text: set publish.encoding text` }];
  // The payload goes into the message unescaped (stamps and plain padding need no escaping); JSON
  // padding is full of quotes, which would break the JSON message around it.
  if (scenario.padding === 'json')
    return [
      {
        path,
        message: `${JSON.stringify(template)} puts the payload inside a JSON message, where publish.padding json's quotes would break it: use padding plain`,
      },
    ];
  return [];
}

/**
 * A JSON message template whose `{payload}` (and `{channel}`, `{client}`) survive as they are:
 * stamped text payloads and channel names hold no character JSON escapes, so filling them in after
 * JSON.stringify yields the same JSON as stringifying the filled values.
 */
export function jsonTemplate(value: unknown): string {
  return JSON.stringify(value);
}
