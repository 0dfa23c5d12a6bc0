/**
 * A real redis-server for tests: one per test file (started in before(), stopped in after()).
 */
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/redis/embedded.js';

export async function startTestRedis(): Promise<EmbeddedRedis> {
  return startEmbeddedRedis({ startTimeoutMs: 15_000 });
}
