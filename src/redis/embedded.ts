/**
 * The embedded default Redis: a private redis-server on a free loopback port, in a temporary
 * directory, with persistence off. It lives in its own process group so a Ctrl-C in the terminal
 * does not kill it before the run has reported; wsbench stops it itself.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WsbenchError } from '../errors.js';
import { trackChild } from '../process/children.js';

export interface EmbeddedRedis {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export interface EmbeddedRedisOptions {
  binary?: string;
  /** Extra redis-server arguments, e.g. ['--maxclients', '20000']. */
  extraArgs?: string[];
  startTimeoutMs?: number;
  /** This loopback port instead of a free one (e.g. to start Redis again where it was). */
  port?: number;
}

const INSTALL_HINT =
  'install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or pass --redis redis://host:port';

export async function startEmbeddedRedis(options: EmbeddedRedisOptions = {}): Promise<EmbeddedRedis> {
  const binary = options.binary ?? 'redis-server';
  const dir = await mkdtemp(join(tmpdir(), 'wsbench-redis-'));
  try {
    // A port found free can be taken before redis binds it; try a few.
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freePort());
      try {
        return await spawnRedis(binary, port, dir, options);
      } catch (e) {
        if (attempt < 5 && e instanceof PortInUse && options.port === undefined) continue;
        throw e;
      }
    }
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** The free port was taken before redis-server bound it: retried, and a setup failure after five tries. */
class PortInUse extends WsbenchError {
  constructor(port: number) {
    super('SETUP', `redis-server could not bind a free loopback port (last tried ${port}: address already in use)`);
  }
}

async function spawnRedis(binary: string, port: number, dir: string, options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--daemonize',
    'no',
    '--protected-mode',
    'yes',
    '--logfile',
    '',
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const stop = trackChild(child, 'redis-server', { watchdog: true });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
      if (/Ready to accept connections/.test(output)) resolve();
      else if (/Address already in use/i.test(output)) reject(new PortInUse(port));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (e: NodeJS.ErrnoException) => {
      reject(
        e.code === 'ENOENT'
          ? new WsbenchError('REDIS_MISSING', `${binary} not found: ${INSTALL_HINT}`, { cause: e })
          : new WsbenchError('SETUP', `cannot start ${binary}: ${e.message}`, { cause: e }),
      );
    });
    child.once('exit', (code, signal) => {
      if (/Address already in use/i.test(output)) reject(new PortInUse(port));
      else reject(new WsbenchError('SETUP', `${binary} exited during start-up (${signal ?? `code ${code}`}): ${lastLine(output)}`));
    });
  });
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new WsbenchError('SETUP', `${binary} did not become ready within ${timeoutMs} ms: ${lastLine(output)}`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([ready, timeout]);
  } catch (e) {
    await stop(500);
    throw e;
  } finally {
    clearTimeout(timer);
  }
  // Keep draining its output so a chatty redis never blocks on a full pipe.
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    async stop() {
      await stop(3000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim() || '(no output)';
}

/** A loopback TCP port that was free a moment ago. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
