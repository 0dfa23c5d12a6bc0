/**
 * Worker plans as the engine builds them, for unit tables: a plain target (no protocol of a stack)
 * over WebSocket, 200 publishes, one-second intervals; a test names only what it is about.
 */
import { workerPlans } from '../../src/engine/worker-plans.js';
import { PLAIN_PROTOCOL } from '../../src/targets/client-protocol.js';
import { websocket } from '../../src/transports/websocket.js';

type PlanInput = Parameters<typeof workerPlans>[0];

export function plainWorkerPlans(
  scenario: PlanInput['scenario'],
  options: Partial<Omit<PlanInput, 'scenario' | 'target'>> & { target?: Partial<PlanInput['target']> } = {},
): ReturnType<typeof workerPlans> {
  const { target, ...rest } = options;
  const descriptor = rest.descriptor ?? websocket;
  return workerPlans({
    scenario,
    target: {
      describe: 'test target',
      headers: {},
      subprotocols: [],
      clientProtocol: PLAIN_PROTOCOL,
      maxPayload: 1 << 20,
      readyDelayMs: 0,
      ...target,
    },
    transport: descriptor.name as PlanInput['transport'],
    descriptor,
    urlTemplate: 'ws://h/ws/{channel}',
    runId: 'r',
    workers: 1,
    publishes: { warmup: 0, total: 200 },
    localAddresses: [],
    snapshotIntervalMs: 100,
    connectStartMs: 0,
    timeline: { originMs: 0, lengthMs: 1000 },
    ...rest,
  });
}
