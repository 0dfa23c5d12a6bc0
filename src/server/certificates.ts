/**
 * X.509 certificates for the reference server's TLS (`target.tls: true`, `wsbench serve --tls`)
 * and for tests that need a CA, a client certificate, an expired or a misnamed one.
 *
 * Node can make keys (WebCrypto) but has no X.509 builder. The builder is @peculiar/x509 (MIT,
 * pure TypeScript over WebCrypto, no install scripts, widely used): it runs in-process on every
 * platform Node runs on, signs with an ECDSA P-256 key made by Node in about a millisecond, and
 * takes any validity period (an expired certificate for a test is one date). Debian's `openssl`
 * binary would have been the other way, but it is missing from slim images, is LibreSSL with
 * other flags on macOS, and cannot backdate a certificate without a CA database. The library
 * needs a Reflect metadata polyfill; both are loaded only here, on first use, in the process that
 * makes certificates (the coordinator or `serve`), never in workers or runs without TLS.
 */
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import type * as X509Library from '@peculiar/x509';

/** A certificate and its private key, PEM. */
export interface CertificatePair {
  cert: string;
  key: string;
}

export interface CertificateRequest {
  /** The subject's common name. */
  commonName: string;
  /** DNS names and IP addresses the certificate is for (subjectAltName). */
  hosts?: readonly string[];
  /** Default: one minute ago (clock skew between processes is nil here, but not between hosts). */
  notBefore?: Date;
  /** Default: 30 days after notBefore. */
  notAfter?: Date;
  /** A CA certificate (it may sign others). */
  ca?: boolean;
  /** Usable as a TLS client certificate (extendedKeyUsage clientAuth) instead of a server one. */
  client?: boolean;
  /** Signed by this CA; default: self-signed. */
  issuer?: CertificatePair;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

type X509 = typeof X509Library;
let library: Promise<X509> | null = null;

function x509(): Promise<X509> {
  library ??= (async () => {
    await import('reflect-metadata');
    const lib = await import('@peculiar/x509');
    lib.cryptoProvider.set(webcrypto as unknown as Parameters<typeof lib.cryptoProvider.set>[0]);
    return lib;
  })();
  return library;
}

function pem(label: string, der: ArrayBuffer): string {
  const base64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

/** Makes a key pair and a certificate for it (self-signed, or signed by `issuer`). */
export async function createCertificate(request: CertificateRequest): Promise<CertificatePair> {
  const lib = await x509();
  const subtle = webcrypto.subtle;
  const keys = (await subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const notBefore = request.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = request.notAfter ?? new Date(notBefore.getTime() + 30 * DAY_MS);
  const hosts = request.hosts ?? [];
  const extensions = [
    new lib.BasicConstraintsExtension(request.ca === true, undefined, true),
    new lib.KeyUsagesExtension(
      request.ca ? lib.KeyUsageFlags.keyCertSign | lib.KeyUsageFlags.digitalSignature : lib.KeyUsageFlags.digitalSignature,
      true,
    ),
    ...(request.ca
      ? []
      : [new lib.ExtendedKeyUsageExtension([request.client ? lib.ExtendedKeyUsage.clientAuth : lib.ExtendedKeyUsage.serverAuth])]),
    ...(hosts.length > 0
      ? [new lib.SubjectAlternativeNameExtension(hosts.map((h) => ({ type: isIP(h) ? ('ip' as const) : ('dns' as const), value: h })))]
      : []),
  ];
  const serialNumber = Buffer.from(webcrypto.getRandomValues(new Uint8Array(12)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
  const name = `CN=${request.commonName.replace(/[,+="\\<>;]/g, '_')}`;
  let cert: InstanceType<X509['X509Certificate']>;
  if (request.issuer) {
    const issuerCert = new lib.X509Certificate(request.issuer.cert);
    const issuerKey = await subtle.importKey('pkcs8', pemBody(request.issuer.key), ALGORITHM, false, ['sign']);
    cert = await lib.X509CertificateGenerator.create({
      serialNumber,
      subject: name,
      issuer: issuerCert.subject,
      notBefore,
      notAfter,
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: issuerKey,
      extensions,
    });
  } else {
    cert = await lib.X509CertificateGenerator.createSelfSigned({
      serialNumber,
      name,
      notBefore,
      notAfter,
      signingAlgorithm: ALGORITHM,
      keys,
      extensions,
    });
  }
  const pkcs8 = await subtle.exportKey('pkcs8', keys.privateKey);
  return { cert: cert.toString('pem') + '\n', key: pem('PRIVATE KEY', pkcs8) };
}

function pemBody(text: string): ArrayBuffer {
  const der = Buffer.from(text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer;
}

/**
 * The reference server's own certificate when `target.tls: true` / `serve --tls`: self-signed,
 * valid for `host` plus localhost and the loopback addresses, for 30 days. Clients that wsbench
 * starts trust exactly this certificate (it is handed to them as their CA).
 */
export function selfSignedServerCertificate(host: string): Promise<CertificatePair> {
  const hosts = [...new Set([host, 'localhost', '127.0.0.1', '::1'].filter((h) => h !== '' && h !== '0.0.0.0' && h !== '::'))];
  return createCertificate({ commonName: `wsbench reference server (${host})`, hosts });
}
