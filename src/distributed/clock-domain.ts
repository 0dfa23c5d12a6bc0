/**
 * Do two processes read the same CLOCK_MONOTONIC? Pure: host-identity.ts reads the facts.
 *
 * Every process on one running Linux kernel reads one CLOCK_MONOTONIC — containers included, since
 * they share the host's kernel — except inside a time namespace (Linux ≥ 5.6, `unshare --time`),
 * which may add an offset to it. The kernel's boot id (/proc/sys/kernel/random/boot_id, new at
 * every boot) names the kernel; /proc/self/timens_offsets gives the namespace's monotonic offset.
 * Together they form a clock id: equal ids mean the same clock, so an agent with the coordinator's
 * id needs no estimate ("exact"). Unknown (another OS, /proc not readable) is never equal to
 * anything: the offset is then estimated, which is always safe.
 */

/** What /proc/self/timens_offsets held: its text, or that it does not exist (no time namespaces in this kernel), or that it could not be read. */
export type TimensFile = { text: string } | 'missing' | 'unreadable';

/** The monotonic offset of the time namespace ("<seconds> <nanoseconds>"); "0 0" when there is none; null when unknown. */
export function timensMonotonicOffset(file: TimensFile): string | null {
  if (file === 'missing') return '0 0';
  if (file === 'unreadable') return null;
  // "monotonic <secs> <nanos>" (older kernels may print the clock's number, 1).
  const line = file.text.split('\n').find((l) => /^\s*(monotonic|1)\s/.test(l));
  if (!line) return null;
  const [, secs, nanos] = line.trim().split(/\s+/);
  if (!/^-?\d+$/.test(secs ?? '') || !/^\d+$/.test(nanos ?? '')) return null;
  return `${BigInt(secs!)} ${BigInt(nanos!)}`;
}

/** A clock id from the boot id and the time namespace's monotonic offset; null when either is unknown. */
export function clockIdOf(bootId: string | null, monotonicOffset: string | null): string | null {
  const id = bootId?.trim().toLowerCase() ?? '';
  if (!/^[0-9a-f-]{8,64}$/.test(id) || monotonicOffset === null) return null;
  return monotonicOffset === '0 0' ? id : `${id}+${monotonicOffset.replace(' ', '.')}`;
}

/** "exact" when both ids are known and equal, else "estimated". */
export function clockMode(agentClockId: string | null, coordinatorClockId: string | null): 'exact' | 'estimated' {
  return agentClockId !== null && agentClockId === coordinatorClockId ? 'exact' : 'estimated';
}
