/**
 * What the clients of a run negotiate, from the scenario and the prepared target: their TLS
 * settings (CA files read here, plus what the target says to trust, e.g. the built-in server's
 * generated certificate) and their permessage-deflate offer. Both travel to the workers in plans.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Scenario } from '../config/resolve.js';
import { ConfigError } from '../errors.js';
import { STAMP_BINARY_BYTES } from '../metrics/stamp.js';
import type { ClientProtocolSpec, PlainProtocolSpec } from '../targets/client-protocol.js';
import type { PreparedTarget } from '../targets/target.js';
import type { ClientCompression } from '../transports/compression.js';
import type { ClientTlsOptions } from '../transports/tls.js';

/** Where relative paths in a scenario start: its file's folder (the working directory without a file). */
export function scenarioBaseDir(scenario: Pick<Scenario, 'source'>): string {
  return scenario.source ? dirname(resolve(scenario.source)) : process.cwd();
}

/** Reads a PEM file named in the scenario under `key`; a missing file is a config error naming it. */
export async function readScenarioPem(baseDir: string, path: string, key: string): Promise<string> {
  const full = resolve(baseDir, path);
  let text: string;
  try {
    text = await readFile(full, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read ${full}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { key }, { cause: e });
  }
  if (!text.includes('-----BEGIN ')) throw new ConfigError(`${full} is not a PEM file (no -----BEGIN line)`, { key });
  return text;
}

/** The clients' TLS settings: the scenario's, trusting its CA files and what the target hands over. */
export async function clientTlsSettings(
  scenario: Pick<Scenario, 'source' | 'clients'>,
  target: Pick<PreparedTarget, 'trustedCa'>,
): Promise<ClientTlsOptions> {
  const settings = scenario.clients.tls;
  const files = settings.ca === undefined ? [] : Array.isArray(settings.ca) ? settings.ca : [settings.ca];
  const baseDir = scenarioBaseDir(scenario);
  const ca = await Promise.all(files.map((file) => readScenarioPem(baseDir, file, 'clients.tls.ca')));
  return {
    ca: [...ca, ...(target.trustedCa ?? [])],
    rejectUnauthorized: settings.rejectUnauthorized,
    resumeSessions: settings.resumeSessions,
  };
}

/**
 * The clients' permessage-deflate settings. Only the stamp is inflated (when the server compresses
 * without context takeover) when that is all a client reads: binary stamps at fixed offsets,
 * through the plain protocol with nothing to ignore and no ready message to recognise.
 */
export function clientCompression(scenario: Pick<Scenario, 'clients' | 'encoding'>, protocol: ClientProtocolSpec): ClientCompression {
  const { compression, deflate } = scenario.clients;
  const plain = protocol.kind === 'plain' ? (protocol as PlainProtocolSpec) : null;
  const stampOnly = scenario.encoding === 'binary' && plain !== null && plain.ignore.length === 0 && plain.readyMessage === undefined;
  return {
    mode: compression,
    offer: {
      ...(deflate.serverNoContextTakeover ? { serverNoContextTakeover: true } : {}),
      ...(deflate.clientNoContextTakeover ? { clientNoContextTakeover: true } : {}),
      ...(deflate.serverMaxWindowBits !== undefined ? { serverMaxWindowBits: deflate.serverMaxWindowBits } : {}),
      clientMaxWindowBits: deflate.clientMaxWindowBits,
    },
    inflatePrefix: stampOnly ? STAMP_BINARY_BYTES : null,
  };
}
