/** Scenario target → prepared target. The one place a new kind of target is plugged in. */
import type { Scenario } from '../config/resolve.js';
import { prepareBuiltinTarget } from './builtin.js';
import { prepareRawTarget } from './raw.js';
import { prepareSocketioTarget } from './socketio.js';
import { prepareChannelsTarget } from './channels.js';
import { prepareActioncableTarget } from './actioncable.js';
import { prepareWs4redisTarget } from './ws4redis.js';
import { prepareCentrifugoTarget } from './centrifugo.js';
import type { PreparedTarget } from './target.js';

export async function prepareTarget(scenario: Scenario, redisUrl: string): Promise<PreparedTarget> {
  const target = scenario.target;
  switch (target.kind) {
    case 'builtin':
      return prepareBuiltinTarget(target, scenario, redisUrl);
    case 'raw':
      return prepareRawTarget(target, scenario);
    case 'socketio':
      return prepareSocketioTarget(target, scenario);
    case 'channels':
      return prepareChannelsTarget(target, scenario);
    case 'actioncable':
      return prepareActioncableTarget(target, scenario);
    case 'ws4redis':
      return prepareWs4redisTarget(target, scenario);
    case 'centrifugo':
      return prepareCentrifugoTarget(target, scenario);
  }
}
