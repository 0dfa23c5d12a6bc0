/**
 * Files a command will write at its end (--out, --junit, --markdown, --hlog) are checked before
 * anything starts, so a typo in a path costs a second, not a whole run. The check really opens
 * the file (root passes every permission check but not a read-only file system): an existing
 * regular file is opened for writing without truncating it; a missing one is created and removed
 * again. Other existing files (a FIFO, /dev/stdout, /dev/null) are taken as the user's choice.
 */
import { constants } from 'node:fs';
import { open, stat, unlink } from 'node:fs/promises';
import { ConfigError } from '../errors.js';

export interface OutputFlag {
  flag: string;
  file: string | undefined;
  /** `-` means standard output (only --out). */
  stdoutAllowed?: boolean;
}

export async function checkOutputFiles(outputs: readonly OutputFlag[]): Promise<void> {
  const seen = new Map<string, string>();
  for (const { flag, file, stdoutAllowed } of outputs) {
    if (file === undefined) continue;
    if (file === '') throw new ConfigError('needs a file name (got an empty string)', { key: flag });
    if (file === '-') {
      if (!stdoutAllowed) throw new ConfigError('"-" (standard output) is only for --out; give a file name', { key: flag });
      continue;
    }
    const other = seen.get(file);
    if (other) throw new ConfigError(`${file} is also the file of ${other}: each output needs its own file`, { key: flag });
    seen.set(file, flag);
    await checkWritable(file, flag);
  }
}

async function checkWritable(file: string, flag: string): Promise<void> {
  const where = { key: flag };
  let exists = true;
  try {
    const stats = await stat(file);
    if (stats.isDirectory()) throw new ConfigError(`${file} is a directory; give a file name`, where);
    if (!stats.isFile()) return;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new ConfigError(`cannot write ${file} (${describeCode(code)})`, where, { cause: e });
    exists = false;
  }
  try {
    if (exists) {
      await (await open(file, constants.O_WRONLY | constants.O_NONBLOCK)).close();
    } else {
      await (await open(file, 'wx')).close();
      await unlink(file);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`cannot write ${file} (${describeCode(code)})`, where, { cause: e });
  }
}

function describeCode(code: string | undefined): string {
  switch (code) {
    case 'ENOENT':
      return 'its directory does not exist';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'EISDIR':
      return 'is a directory';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    default:
      return code ?? 'unknown error';
  }
}
