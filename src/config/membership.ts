/**
 * Clients in several channels (`clients.channelsPerClient`, `clients.membership`): which channels
 * each client is a member of, decided here once, by client index — the same in every worker, for
 * any split of the clients over workers, and in the coordinator that counts what is owed. Pure.
 *
 * The rule for `channelsPerClient: k` over n channels: client i is in the k channels
 * (i·k + j) mod n for j = 0…k−1 — consecutive channels starting where the previous client's
 * stopped, so the memberships go round the channels in turn and each channel has ⌊C·k/n⌋ or
 * ⌈C·k/n⌉ of the C clients' memberships (every channel has members once C·k ≥ n). k = 1 is the
 * one-channel rule (i mod n). `clients.membership` names the channel lists itself: client i is in
 * the channels of list i mod (number of lists).
 */
import { z } from 'zod';

/** How the clients' memberships are decided, as plain data (it travels to the workers in their plans). */
export type MembershipSpec =
  /** k consecutive channels per client (k ≥ 2; one channel per client has no spec). */
  | { readonly perClient: number }
  /** Client i is in the channels (indices) of `groups[i mod groups.length]`. */
  | { readonly groups: readonly (readonly number[])[] };

export const channelsPerClient = z
  .number()
  .int()
  .min(1)
  .optional()
  .describe(
    'Channels each client is a member of (default 1): client i joins channels (i·k + j) mod n, j = 0…k−1, so memberships spread evenly over publish.channels. At most the number of channels. One connection carries all of a client’s channels where the target can subscribe one connection to several.',
  );

export const membership = z
  .array(z.array(z.string().min(1)).min(1).max(100_000))
  .min(1)
  .max(100_000)
  .optional()
  .describe(
    'Instead of channelsPerClient: the channel lists of the client groups, by name (names of publish.channels); client i is a member of the channels of list i mod (number of lists), e.g. [[bench-0, bench-1], [bench-2]].',
  );

/** The run's channel names: `bench` for one channel, bench-0…bench-N−1 for N, or the names given. */
export function channelNamesOf(channels: number | readonly string[]): string[] {
  if (typeof channels !== 'number') return [...channels];
  if (channels === 1) return ['bench'];
  return Array.from({ length: channels }, (_, i) => `bench-${i}`);
}

/** The most channels a client is a member of (1 without a spec). */
export function maxChannelsPerClient(spec: MembershipSpec | null): number {
  if (spec === null) return 1;
  if ('perClient' in spec) return spec.perClient;
  return Math.max(...spec.groups.map((g) => g.length));
}

/**
 * The scenario's membership as a spec, or null for one channel per client (the default, and
 * `channelsPerClient: 1`). `names` are the run's channel names; the schema checked the lists.
 */
export function membershipOf(
  clients: { channelsPerClient?: number | undefined; membership?: readonly (readonly string[])[] | undefined },
  names: readonly string[],
): MembershipSpec | null {
  if (clients.membership !== undefined) {
    const index = new Map(names.map((name, i) => [name, i]));
    return { groups: clients.membership.map((group) => group.map((name) => index.get(name)!)) };
  }
  const k = clients.channelsPerClient ?? 1;
  return k > 1 ? { perClient: k } : null;
}

/** The channels (indices) client `client` is a member of, in the order of its memberships. */
export function channelsOfClient(spec: MembershipSpec | null, client: number, channelCount: number): number[] {
  if (spec === null) return [client % channelCount];
  if ('groups' in spec) return [...spec.groups[client % spec.groups.length]!];
  const first = (client * spec.perClient) % channelCount;
  return Array.from({ length: spec.perClient }, (_, j) => (first + j) % channelCount);
}

/** Members of each channel among clients [0, clients): what each of its messages is owed to. */
export function membersPerChannel(spec: MembershipSpec | null, clients: number, channelCount: number): number[] {
  const members = new Array<number>(channelCount).fill(0);
  if (spec !== null && 'groups' in spec) {
    // Whole rounds over the groups, then the first groups once more.
    const rounds = Math.floor(clients / spec.groups.length);
    const rest = clients % spec.groups.length;
    spec.groups.forEach((group, g) => {
      for (const c of group) members[c]! += rounds + (g < rest ? 1 : 0);
    });
    return members;
  }
  // Memberships 0…clients·k−1 go round the channels in turn.
  const total = clients * maxChannelsPerClient(spec);
  for (let c = 0; c < channelCount; c++) members[c] = Math.floor(total / channelCount) + (c < total % channelCount ? 1 : 0);
  return members;
}

/**
 * What is wrong with the scenario's membership settings, as [path under `clients`, message]
 * pairs (the schema reports them with their path); empty when nothing is.
 */
export function membershipProblems(
  clients: { channelsPerClient?: number | undefined; membership?: readonly (readonly string[])[] | undefined },
  names: readonly string[],
): [(string | number)[], string][] {
  const problems: [(string | number)[], string][] = [];
  const k = clients.channelsPerClient;
  if (k !== undefined && clients.membership !== undefined)
    problems.push([['membership'], 'either channelsPerClient or membership, not both']);
  if (k !== undefined && k > names.length)
    problems.push([
      ['channelsPerClient'],
      `is ${k}, but there ${names.length === 1 ? 'is 1 channel' : `are ${names.length} channels`} (publish.channels): at most ${names.length}`,
    ]);
  const known = new Set(names);
  clients.membership?.forEach((group, g) => {
    const seen = new Set<string>();
    group.forEach((name, j) => {
      if (!known.has(name)) problems.push([['membership', g, j], `"${name}" is not one of publish.channels (${describeNames(names)})`]);
      else if (seen.has(name)) problems.push([['membership', g, j], `"${name}" is listed twice in this group`]);
      seen.add(name);
    });
  });
  return problems;
}

function describeNames(names: readonly string[]): string {
  return names.length <= 5 ? names.join(', ') : `${names.slice(0, 4).join(', ')}, … ${names[names.length - 1]}`;
}
