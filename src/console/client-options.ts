/**
 * wscat-style settings → `ws` client options: TLS files read, the proxy agent made.
 * --proxy takes http://, https:// (CONNECT) or socks4/socks5 URLs; a bare host:port is http://.
 */
import { readFile } from 'node:fs/promises';
import type { ClientOptions } from 'ws';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { SocksProxyAgent } from 'socks-proxy-agent';
import { ConfigError } from '../errors.js';
import type { WsClientSettings } from './options.js';

export async function buildClientOptions(s: WsClientSettings, askPassphrase?: () => Promise<string>): Promise<ClientOptions> {
  const options: ClientOptions = {
    headers: s.headers,
    rejectUnauthorized: s.rejectUnauthorized,
    followRedirects: s.followRedirects,
    maxRedirects: s.maxRedirects,
    // The console reports the handshake itself; keep it bounded.
    handshakeTimeout: 15_000,
  };
  if (s.origin !== undefined) options.origin = s.origin;
  if (s.protocolVersion !== undefined) options.protocolVersion = s.protocolVersion;
  if (s.caFile !== undefined) options.ca = await readTls(s.caFile, '--ca');
  if (s.certFile !== undefined) options.cert = await readTls(s.certFile, '--cert');
  if (s.keyFile !== undefined) options.key = await readTls(s.keyFile, '--key');
  if (s.passphrase !== undefined) {
    if (s.passphrase !== '') options.passphrase = s.passphrase;
    else if (askPassphrase) options.passphrase = await askPassphrase();
    else throw new ConfigError('give the passphrase as a value when standard input is not a terminal', { key: '--passphrase' });
  }
  if (s.proxy !== undefined) options.agent = proxyAgent(s.proxy, s.rejectUnauthorized);
  return options;
}

async function readTls(path: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new ConfigError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { key: flag }, { cause: e });
  }
}

export function proxyAgent(proxy: string, rejectUnauthorized: boolean): HttpsProxyAgent<string> | SocksProxyAgent {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`"${proxy}" is not a proxy URL ([http://|https://|socks5://]host:port)`, { key: '--proxy' });
  }
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return new HttpsProxyAgent(url, { rejectUnauthorized });
  if (/^socks[45]?[ah]?:$/.test(parsed.protocol)) return new SocksProxyAgent(url);
  throw new ConfigError(`unsupported proxy scheme ${parsed.protocol} (http, https, socks4, socks5)`, { key: '--proxy' });
}
