/**
 * Target `raw`: any WebSocket server that relays a Redis channel's payloads verbatim (e.g.
 * django-websocket-redis). Readiness by PUBSUB NUMSUB on the channels wsbench publishes to.
 */
import type { Scenario } from '../config/resolve.js';
import { numsub } from '../redis/client.js';
import { fillTemplate } from './template.js';
import { pollUntilReady, type PreparedTarget } from './target.js';

type RawConfig = Extract<Scenario['target'], { kind: 'raw' }>;

export function prepareRawTarget(config: RawConfig, scenario: Scenario): PreparedTarget {
  const published = scenario.channelNames.map((channel) => fillTemplate(config.redisChannel, channel, 0));
  const { numsub: mode, timeout, settle } = config.readiness;
  return {
    describe: `raw ${config.url}`,
    urlTemplate: config.url,
    clientProtocol: { kind: 'plain', sendAfterOpen: config.send, ignore: config.ignore },
    injector: { kind: 'publish', channels: published },
    headers: config.headers,
    subprotocols: config.subprotocols,
    maxPayload: 256 * 1024 * 1024,
    async waitReady({ redis, channelNames, openedPerChannel, signal }) {
      if (mode !== 0) {
        await pollUntilReady(
          async () => {
            const counts = await numsub(redis, [...new Set(published)]);
            for (let c = 0; c < channelNames.length; c++) {
              const opened = openedPerChannel[c] ?? 0;
              if (opened === 0) continue;
              // Several scenario channels may map to one Redis channel: sum what it must carry.
              const want = mode === 'per-client' ? sumWhere(openedPerChannel, published, published[c]!) : mode;
              const have = counts.get(published[c]!) ?? 0;
              if (have < want) return `PUBSUB NUMSUB ${published[c]} = ${have}, waiting for ${want}`;
            }
            return null;
          },
          timeout,
          signal,
          'target',
        );
      }
      if (settle > 0 && !signal.aborted) await new Promise((r) => setTimeout(r, settle));
    },
    stop: async () => {},
  };
}

function sumWhere(values: number[], keys: string[], key: string): number {
  let sum = 0;
  for (let i = 0; i < keys.length; i++) if (keys[i] === key) sum += values[i] ?? 0;
  return sum;
}
