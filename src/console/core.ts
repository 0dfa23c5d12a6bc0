/**
 * What the client console and the listening console share: turning input lines into frames or
 * Redis commands, running them strictly in input order (a frame waits for an open socket, a Redis
 * command for the lines before it), counting traffic, timing pings, waiting for replies once input
 * ends, and reporting all of it as typed events. Subclasses own the socket's life cycle.
 */
import { readFileSync } from 'node:fs';
import type { WebSocket, RawData } from 'ws';
import { type ConnectExitCode } from '../exit-codes.js';
import { messageOf } from '../errors.js';
import type { ConsoleEvent, ConsoleEventBody, ConsoleEventListener, ConsoleStatus, ReadyState } from './events.js';
import type { ConsoleOptions } from './options.js';
import { RedisBridge } from './redis-bridge.js';
import { helpText, parseInput, type ConsoleInput } from './slash.js';

export type ExitCodeValue = (typeof ConnectExitCode)[keyof typeof ConnectExitCode];

/** Frame-level work that needs an open socket. */
type FrameInput = Extract<ConsoleInput, { kind: 'send' | 'binary' | 'ping' | 'pong' | 'close' }>;
/** A Redis command: runs once every earlier line has been done. */
type RedisInput = { kind: 'redis'; op: (redis: RedisBridge) => Promise<void> };
/** What waits in the input queue, in input order. */
type QueuedInput = FrameInput | RedisInput;

/** Incoming traffic: what "waiting for replies" waits for. */
const INBOUND: ReadonlySet<ConsoleEventBody['type']> = new Set(['message', 'ping', 'pong', 'redis-message']);

const CLOSE_TIMEOUT_MS = 2000;

export abstract class ConsoleCore {
  protected ws: WebSocket | null = null;
  protected redis: RedisBridge | null = null;
  private redisOpened!: (ok: boolean) => void;
  private readonly redisReady = new Promise<boolean>((resolve) => (this.redisOpened = resolve));
  /** Every line not done yet, in input order: frames wait for an open socket, Redis commands for the lines before them. */
  protected readonly queue: QueuedInput[] = [];
  /** A Redis command is running (the next line waits for it). */
  private redisBusy = false;
  /** When something last arrived (monotonic ms): the end-of-input wait closes once replies stop. */
  private lastInboundMs = 0;
  protected stopping = false;
  protected finished = false;
  private readonly counters = { messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0 };
  private lastRttMs: number | null = null;
  /** Ping payload → when it was sent and whether the user asked for it. */
  private readonly pingsInFlight = new Map<string, { at: bigint; requested: boolean }>();
  private readonly idleWaiters: (() => void)[] = [];
  private resolveDone!: (code: ExitCodeValue) => void;
  /** Resolves with the exit code once everything is closed. */
  readonly done: Promise<ExitCodeValue> = new Promise((resolve) => (this.resolveDone = resolve));

  constructor(
    protected readonly options: ConsoleOptions,
    private readonly listener: ConsoleEventListener,
  ) {}

  protected emit(body: ConsoleEventBody): void {
    if (INBOUND.has(body.type) && (!('dir' in body) || body.dir === 'in')) this.lastInboundMs = nowMs();
    this.listener({ ...body, time: Date.now() } as ConsoleEvent);
  }

  /** The target shown in the status line. */
  protected abstract target(): string;
  protected abstract reconnects(): number;
  /**
   * Whether lines may run now (connect mode: the WebSocket is open — a Redis command piped after a
   * message must not run before that message was sent, nor before there is a socket to see its
   * effect). Frames also need `isOpen()`.
   */
  protected abstract acceptsInput(): boolean;
  /** The user asked to end the session (/quit, Ctrl-D, EOF). */
  abstract quit(): void;
  /** SIGINT: close quickly, exit 130. */
  abstract interrupt(): void;
  /** Standard input ended. */
  abstract endInput(): void;

  status(): ConsoleStatus {
    return {
      target: this.target(),
      readyState: (this.ws?.readyState ?? 3) as ReadyState,
      bufferedAmount: this.ws?.bufferedAmount ?? 0,
      ...this.counters,
      lastRttMs: this.lastRttMs,
      queued: this.queue.length,
      reconnects: this.reconnects(),
      redis: this.redis?.status() ?? null,
    };
  }

  /** One line typed, piped or given with -x. */
  input(line: string): void {
    if (this.finished) return;
    this.dispatch(parseInput(line, this.options.slash));
  }

  /** Lines that go before everything already waiting (-x messages on each new connection). */
  protected inputFirst(lines: readonly string[]): void {
    const waiting = this.queue.splice(0);
    for (const line of lines) this.input(line);
    this.queue.push(...waiting);
    this.flushQueue();
  }

  /** Opens the Redis connection when --redis is given; a failure is fatal. */
  protected async openRedis(): Promise<boolean> {
    if (!this.options.redisUrl) return true;
    try {
      const redis = await RedisBridge.open(this.options.redisUrl, (e) => this.emit(e));
      if (this.finished) {
        await redis.close();
        this.redisOpened(false);
        return false;
      }
      this.redis = redis;
      this.redisOpened(true);
      return true;
    } catch (e) {
      this.emit({ type: 'error', message: messageOf(e), fatal: true });
      this.redisOpened(false);
      return false;
    }
  }

  private dispatch(cmd: ConsoleInput): void {
    switch (cmd.kind) {
      case 'invalid':
        this.emit({ type: 'error', message: cmd.message, fatal: false });
        return;
      case 'help':
        this.emit({ type: 'help', lines: helpText() });
        return;
      case 'status':
        this.emit({ type: 'status', status: this.status() });
        return;
      case 'quit':
        this.quit();
        return;
      case 'file': {
        let data: Buffer;
        try {
          data = readFileSync(cmd.path);
        } catch (e) {
          this.emit({
            type: 'error',
            message: `cannot read ${cmd.path}: ${(e as NodeJS.ErrnoException).code ?? messageOf(e)}`,
            fatal: false,
          });
          return;
        }
        this.sendOrQueue({ kind: 'binary', data });
        return;
      }
      case 'publish':
        this.redisOp(async (redis) => {
          const receivers = await redis.publish(cmd.channel, cmd.message);
          this.emit({ type: 'redis-published', channel: cmd.channel, receivers, data: Buffer.from(cmd.message) });
        });
        return;
      case 'subscribe':
        this.redisOp(async (redis) => {
          const count = await redis.subscribe(cmd.channels);
          this.emit({ type: 'redis-subscription', action: 'subscribe', names: cmd.channels, count });
        });
        return;
      case 'psubscribe':
        this.redisOp(async (redis) => {
          const count = await redis.psubscribe(cmd.patterns);
          this.emit({ type: 'redis-subscription', action: 'psubscribe', names: cmd.patterns, count });
        });
        return;
      case 'unsubscribe':
        this.redisOp(async (redis) => {
          const { names, count } = await redis.unsubscribe(cmd.names);
          this.emit({ type: 'redis-subscription', action: 'unsubscribe', names, count });
        });
        return;
      default:
        this.sendOrQueue(cmd);
    }
  }

  private redisOp(op: (redis: RedisBridge) => Promise<void>): void {
    if (!this.options.redisUrl) {
      this.emit({ type: 'error', message: 'no Redis: start with --redis redis://host:port', fatal: false });
      return;
    }
    this.sendOrQueue({ kind: 'redis', op });
  }

  protected isOpen(): boolean {
    return this.ws !== null && this.ws.readyState === 1;
  }

  protected sendOrQueue(cmd: QueuedInput): void {
    this.queue.push(cmd);
    this.flushQueue();
  }

  /** Runs what can run now, in order; stops at a frame without an open socket or behind a running Redis command. */
  protected flushQueue(): void {
    while (this.queue.length > 0 && !this.redisBusy && !this.finished && this.acceptsInput()) {
      const next = this.queue[0]!;
      if (next.kind === 'redis') {
        this.queue.shift();
        this.runRedis(next.op);
        return;
      }
      if (!this.isOpen()) break;
      this.queue.shift();
      this.perform(next);
    }
    this.checkIdle();
  }

  private runRedis(op: RedisInput['op']): void {
    this.redisBusy = true;
    this.redisReady
      .then((ok) => (ok && this.redis && !this.finished ? op(this.redis) : undefined))
      .catch((e: unknown) => this.emit({ type: 'error', message: `Redis: ${messageOf(e)}`, fatal: false }))
      .finally(() => {
        this.redisBusy = false;
        this.flushQueue();
      });
  }

  private perform(cmd: FrameInput): void {
    const ws = this.ws!;
    try {
      switch (cmd.kind) {
        case 'send': {
          const data = Buffer.from(cmd.text);
          ws.send(data, { binary: false });
          this.countOut(data);
          this.emit({ type: 'message', dir: 'out', data, binary: false });
          return;
        }
        case 'binary':
          ws.send(cmd.data, { binary: true });
          this.countOut(cmd.data);
          this.emit({ type: 'message', dir: 'out', data: cmd.data, binary: true });
          return;
        case 'ping':
          this.sendPing(Buffer.from(cmd.data), true);
          return;
        case 'pong':
          ws.pong(Buffer.from(cmd.data));
          this.emit({ type: 'pong', dir: 'out', data: Buffer.from(cmd.data) });
          return;
        case 'close':
          this.closeByUs(cmd.code ?? 1000, cmd.reason ?? '');
          return;
      }
    } catch (e) {
      this.emit({ type: 'error', message: messageOf(e), fatal: false });
    }
  }

  protected sendPing(data: Buffer, requested: boolean): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== 1) return;
    this.pingsInFlight.set(data.toString('latin1'), { at: process.hrtime.bigint(), requested });
    ws.ping(data);
    this.emit({ type: 'ping', dir: 'out', data, requested });
  }

  private countOut(data: Buffer): void {
    this.counters.messagesOut++;
    this.counters.bytesOut += data.length;
  }

  /** The user (or -x/EOF handling) closes: a clean close handshake, bounded in time. */
  protected closeByUs(code: number, reason: string): void {
    const ws = this.ws;
    if (!ws) return;
    this.onCloseRequested();
    ws.close(code, reason);
    const timer = setTimeout(() => ws.terminate(), CLOSE_TIMEOUT_MS);
    ws.once('close', () => clearTimeout(timer));
  }

  /** Called before a close frame of ours goes out. */
  protected onCloseRequested(): void {}

  /** Counts and reports what arrives on `ws`. */
  protected wire(ws: WebSocket): void {
    ws.on('message', (raw: RawData, isBinary: boolean) => {
      const data = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
      this.counters.messagesIn++;
      this.counters.bytesIn += data.length;
      this.emit({ type: 'message', dir: 'in', data, binary: isBinary });
    });
    ws.on('ping', (data: Buffer) => this.emit({ type: 'ping', dir: 'in', data }));
    ws.on('pong', (data: Buffer) => {
      const key = data.toString('latin1');
      const sent = this.pingsInFlight.get(key);
      if (sent) {
        this.pingsInFlight.delete(key);
        this.lastRttMs = Number(process.hrtime.bigint() - sent.at) / 1e6;
        this.emit({ type: 'pong', dir: 'in', data, rttMs: this.lastRttMs, requested: sent.requested });
      } else {
        this.emit({ type: 'pong', dir: 'in', data });
      }
    });
  }

  protected forgetPings(): void {
    this.pingsInFlight.clear();
  }

  /** Resolves once nothing is queued and no Redis command is in flight. */
  protected whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
  }

  private checkIdle(): void {
    if (this.queue.length > 0 || this.redisBusy) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /**
   * After piped input ends and every line is done: wait for the replies before closing — the fixed
   * `-w` time, or (by default) until nothing has arrived for `quietMs`, at most `maxMs`. Resolves
   * early if `cancelled()` turns true.
   */
  protected waitForReplies(cancelled: () => boolean): Promise<void> {
    const wait = this.options.endOfInputWait;
    return new Promise((resolve) => {
      if ('fixedMs' in wait) {
        setTimeout(resolve, wait.fixedMs);
        return;
      }
      const start = nowMs();
      this.lastInboundMs = Math.max(this.lastInboundMs, start);
      const check = () => {
        const now = nowMs();
        const quietFor = now - this.lastInboundMs;
        if (cancelled() || quietFor >= wait.quietMs || now - start >= wait.maxMs) return resolve();
        setTimeout(check, Math.min(wait.quietMs - quietFor, wait.maxMs - (now - start)));
      };
      setTimeout(check, wait.quietMs);
    });
  }

  protected async finish(code: ExitCodeValue): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.redisOpened(false);
    this.stopping = true;
    await this.cleanUp();
    try {
      await this.redis?.close();
    } catch {
      /* closing anyway */
    }
    this.resolveDone(code);
  }

  /** Timers, sockets and servers of the subclass. */
  protected abstract cleanUp(): Promise<void>;
}

function nowMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}
