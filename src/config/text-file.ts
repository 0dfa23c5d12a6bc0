/**
 * Reading a file the user named (a scenario, a report): only a regular file, at most `maxBytes`,
 * UTF-8. A FIFO, a device or a directory is refused at once instead of blocking on it; the file
 * is opened non-blocking and checked on the open descriptor, so it cannot be swapped in between.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { ConfigError, type ConfigLocation } from '../errors.js';

export async function readTextFile(file: string, maxBytes: number, where: ConfigLocation = { file }): Promise<string> {
  if (file === '') throw new ConfigError('needs a file name (got an empty string)', where);
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new ConfigError(openProblem(e), where, { cause: e });
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new ConfigError(`${kindOf(stats)}, not a regular file`, where);
    if (stats.size > maxBytes)
      throw new ConfigError(`is ${formatBytes(stats.size)}: larger than the ${formatBytes(maxBytes)} allowed`, where);
    // Read at most one byte more than allowed: a file that grows while it is read is still bounded.
    const buffer = Buffer.alloc(Math.min(stats.size, maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) throw new ConfigError(`is larger than the ${formatBytes(maxBytes)} allowed`, where);
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(buffer.subarray(0, length));
    } catch {
      throw new ConfigError('is not UTF-8 text', where);
    }
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, where, { cause: e });
  } finally {
    await handle.close().catch(() => {});
  }
}

function openProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'file not found';
    case 'EISDIR':
      return 'is a directory, not a regular file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    case 'ENXIO':
      return 'not a regular file (a device or socket with nothing behind it)';
    default:
      return `cannot open (${code ?? String(e)})`;
  }
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'is a directory';
  if (stats.isFIFO()) return 'is a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'is a character device';
  if (stats.isBlockDevice()) return 'is a block device';
  if (stats.isSocket()) return 'is a socket';
  return 'is a special file';
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
