/** Scenario target → prepared target. The one place a new kind of target is plugged in. */
import type { Scenario } from '../config/resolve.js';
import { prepareBuiltinTarget } from './builtin.js';
import { prepareRawTarget } from './raw.js';
import type { PreparedTarget } from './target.js';

export async function prepareTarget(scenario: Scenario, redisUrl: string): Promise<PreparedTarget> {
  const target = scenario.target;
  switch (target.kind) {
    case 'builtin':
      return prepareBuiltinTarget(target, scenario, redisUrl);
    case 'raw':
      return prepareRawTarget(target, scenario);
  }
}
