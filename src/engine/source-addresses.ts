/**
 * Which local addresses the clients connect from. One (source address, destination) pair gives
 * at most the ephemeral port range (28,232 ports here) of connections; on Linux every 127.x.y.z
 * is a loopback address, so loopback targets get as many 127.0.0.x sources as the connection
 * count needs. Remote targets use what the user lists (--local-address).
 */

/**
 * Connections planned per source address. Far below the port range: Node binds the source address
 * before connecting, and the kernel's search for a free port on an address slows down as its ports
 * fill up (measured: ~150 connections/s at 20,000 per address, thousands per second at 5,000).
 */
export const CONNECTIONS_PER_SOURCE = 5_000;

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * @param configured addresses from the scenario or flags (used as given when present)
 * @param targetUrl the client URL (template filled or not: only the host matters)
 */
export function sourceAddresses(configured: readonly string[] | undefined, targetUrl: string, connections: number): string[] {
  if (configured && configured.length > 0) return [...configured];
  let host: string;
  try {
    host = new URL(targetUrl.replaceAll('{channel}', 'c').replaceAll('{client}', '0')).hostname;
  } catch {
    return [];
  }
  if (!isLoopbackHost(host) || connections <= CONNECTIONS_PER_SOURCE || host.includes(':')) return [];
  const count = Math.min(250, Math.ceil(connections / CONNECTIONS_PER_SOURCE));
  return Array.from({ length: count }, (_, i) => `127.0.0.${i + 1}`);
}
