/**
 * Watches one transport's target for death while the run measures: when every connection of the
 * transport dropped (WebSocket) or its requests fail to connect (polling), it asks the target for
 * a new TCP connection; refused (or no answer within PROBE_TIMEOUT_MS) is `target-down`, said at
 * once. A server process wsbench started that exits is `target-down` without asking. While down it
 * keeps asking, and says `target-up` when the target accepts connections again.
 *
 * What the run then does is the scenario's `onTargetDown`: `stop` (default) stops publishing after
 * TARGET_DOWN_GRACE_MS unless the target came back, and the transport reports what it measured;
 * `continue` publishes on.
 *
 * A restart the scenario makes (`serverRestart`) is no death: the transport run tells the watch
 * before it stops the server and after the new one listens (`plannedOutage`). Meanwhile dropped
 * connections and refused probes say nothing, and the stopped process's exit is expected by the
 * server child itself (it stopped it), so it is not told either. A restart that does not come back
 * is a setup failure the transport run records as `target-down`; a server that dies at any other
 * moment is one, as always.
 */
import { connect } from 'node:net';
import { monotonicMs } from '../metrics/clock.js';
import { fillTemplate } from '../targets/template.js';
import type { Snapshot } from './events.js';
import type { IncidentRecorder } from './incidents.js';

/** How long a new connection may take before the target counts as not accepting any. */
export const PROBE_TIMEOUT_MS = 1000;
/** While down: how often to ask again. */
const REPROBE_MS = 500;
/** While every connection is gone but the target still accepted the last probe: how often to ask again. */
const REASK_MS = 2000;
/** `onTargetDown: stop`: publishing stops this long after target-down unless the target is back. */
export const TARGET_DOWN_GRACE_MS = 1000;

export type OnTargetDown = 'stop' | 'continue';

export interface TargetWatchOptions {
  /** The transport's URL template ({channel}, {client} are filled with harmless values). */
  urlTemplate: string;
  recorder: IncidentRecorder;
  policy: OnTargetDown;
  /** `stop`: called once the grace passed with the target still down. */
  stop(reason: string): void;
}

/** Where a URL template's target accepts TCP connections. */
export function probeAddress(urlTemplate: string): { host: string; port: number } | null {
  try {
    const url = new URL(fillTemplate(urlTemplate, 'probe', 0));
    const secure = url.protocol === 'wss:' || url.protocol === 'https:';
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    return { host, port: url.port ? Number(url.port) : secure ? 443 : 80 };
  } catch {
    return null;
  }
}

/** Opens and closes one TCP connection: null when accepted, else why not. */
export function probeTarget(address: { host: string; port: number }, timeoutMs = PROBE_TIMEOUT_MS): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host: address.host, port: address.port });
    const done = (refusal: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(refusal);
    };
    const timer = setTimeout(() => done(`no answer within ${timeoutMs} ms`), timeoutMs);
    socket.once('connect', () => done(null));
    socket.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

/** Connection-level failures of polling requests (poll.ECONNREFUSED, poll.ECONNRESET …). */
function pollConnectFailures(errors: Record<string, number>): number {
  let n = 0;
  for (const [kind, count] of Object.entries(errors)) if (/^poll\.E[A-Z]+$/.test(kind)) n += count;
  return n;
}

export class TargetWatch {
  private readonly address: { host: string; port: number } | null;
  private probing = false;
  private pollFailures = 0;
  /** When every connection had dropped, the target was last asked at (monotonic ms) with this many closed. */
  private asked = { at: -Infinity, closed: -1 };
  private reprobe: NodeJS.Timeout | undefined;
  private grace: NodeJS.Timeout | undefined;
  private stopped = false;
  /** A planned restart is going on: drops and refusals are its doing. */
  private planned = false;

  constructor(private readonly options: TargetWatchOptions) {
    this.address = probeAddress(options.urlTemplate);
  }

  /** After each merged snapshot while the transport measures. */
  observe(snapshot: Snapshot): void {
    if (this.stopped || this.planned || this.options.recorder.targetIsDown) return;
    const c = snapshot.connections;
    const failures = pollConnectFailures(snapshot.errors);
    const pollFailing = failures > this.pollFailures;
    this.pollFailures = failures;
    // Asked again when more connections dropped, or now and then while none is left (a server
    // that closed its connections first and its listening socket later).
    const now = monotonicMs();
    const everyConnectionDropped =
      c.opened > 0 && c.open === 0 && c.inFlight === 0 && (c.closed !== this.asked.closed || now - this.asked.at >= REASK_MS);
    if (!everyConnectionDropped && !pollFailing) return;
    if (everyConnectionDropped) this.asked = { at: now, closed: c.closed };
    const what = everyConnectionDropped
      ? `every connection dropped (${c.closed} closed, none open)`
      : `polling requests fail to connect (${failures} so far)`;
    void this.check(what);
  }

  /** A restart the scenario makes begins (true) or is over (false): not a death. */
  plannedOutage(on: boolean): void {
    this.planned = on;
    // What was said about the connections before it no longer tells anything.
    if (!on) this.asked = { at: -Infinity, closed: -1 };
  }

  /** The server process wsbench started for the target exited: down, no need to ask. */
  exited(detail: string, at = monotonicMs()): void {
    if (this.stopped || this.planned) return;
    if (this.options.recorder.targetDown(detail, at)) this.wentDown(detail);
  }

  /** Stops watching (before the transport closes its own connections). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.reprobe);
    clearTimeout(this.grace);
  }

  private async check(what: string): Promise<void> {
    if (this.probing || !this.address) return;
    this.probing = true;
    const at = monotonicMs();
    const refusal = await probeTarget(this.address);
    this.probing = false;
    if (refusal === null || this.stopped || this.planned) return;
    const where = `${this.address.host}:${this.address.port}`;
    const detail = `${what} and ${where} accepts no new connection (${refusal})`;
    if (this.options.recorder.targetDown(detail, at)) this.wentDown(detail);
  }

  private wentDown(detail: string): void {
    this.scheduleReprobe();
    if (this.options.policy !== 'stop') return;
    this.grace = setTimeout(() => {
      if (this.stopped || !this.options.recorder.targetIsDown) return;
      this.options.stop(`target down: ${detail}`);
    }, TARGET_DOWN_GRACE_MS);
  }

  private scheduleReprobe(): void {
    if (!this.address) return;
    const address = this.address;
    this.reprobe = setTimeout(() => {
      void probeTarget(address).then((refusal) => {
        if (this.stopped) return;
        if (refusal !== null) return this.scheduleReprobe();
        this.options.recorder.targetUp(`${address.host}:${address.port} accepts connections again`);
      });
    }, REPROBE_MS);
  }
}
