/**
 * Scenario keys of what a connection negotiates: the clients' TLS settings (`clients.tls`), their
 * permessage-deflate offer (`clients.compression`, `clients.deflate`), and the reference server's
 * side of both (`target.tls`, `target.perMessageDeflate`). A leaf like fields.ts.
 */
import { z } from 'zod';

const windowBits = z.number().int().min(8).max(15);
const pemFile = z.string().min(1).describe('Path of a PEM file (relative to the scenario file).');

export const clientTls = z
  .strictObject({
    ca: z
      .union([pemFile, z.array(pemFile).min(1)])
      .optional()
      .describe(
        'PEM file(s) of the CA certificates to trust instead of the system ones (wss:// and https:// targets). The built-in server with target.tls: true is trusted without it.',
      ),
    rejectUnauthorized: z
      .boolean()
      .default(true)
      .describe("Check the server's certificate (chain, dates, host name); false accepts any certificate."),
    resumeSessions: z
      .boolean()
      .default(true)
      .describe(
        "Each worker offers the session it last received from an endpoint on its next connection there (like a browser's tabs): a server that allows it skips the certificate exchange. false: every handshake is a full one.",
      ),
  })
  .prefault({})
  .describe('TLS of the client connections (wss://, https://).');

export const clientCompression = z
  .enum(['off', 'offer', 'require'])
  .default('off')
  .describe(
    'permessage-deflate (RFC 7692): off (not offered), offer (used when the server accepts), require (a connection the server does not compress fails: connect.compression-declined).',
  );

export const clientDeflate = z
  .strictObject({
    serverNoContextTakeover: z
      .boolean()
      .default(false)
      .describe(
        'Ask the server to compress each message on its own (server_no_context_takeover): the client then inflates only the stamp of binary payloads and keeps no inflate context per connection. Browsers do not ask; many servers answer it anyway.',
      ),
    clientNoContextTakeover: z
      .boolean()
      .default(false)
      .describe('Tell the server the client compresses each of its messages on its own (client_no_context_takeover).'),
    serverMaxWindowBits: windowBits
      .optional()
      .describe('Ask the server for an LZ77 window of at most 2^N bytes (server_max_window_bits, 8–15).'),
    clientMaxWindowBits: z
      .union([z.literal(true), windowBits])
      .default(true)
      .describe('client_max_window_bits: true offers it without a value (as browsers do), a number limits the client’s own window.'),
  })
  .prefault({})
  .describe("permessage-deflate parameters of the clients' offer (with clients.compression: offer or require).");

export const serverTls = z
  .union([
    z.boolean(),
    z.strictObject({
      cert: pemFile.describe('PEM certificate (chain) file.'),
      key: pemFile.describe('PEM private key file.'),
    }),
  ])
  .default(false)
  .describe(
    'Serve wss:// and https:// (TLS 1.3, AES-GCM): true generates a self-signed certificate at start; or the certificate and key files to use. The clients trust that certificate either way.',
  );

export const serverDeflate = z
  .union([
    z.boolean(),
    z.strictObject({
      serverNoContextTakeover: z
        .boolean()
        .default(true)
        .describe(
          'Answer server_no_context_takeover to every offer (RFC 7692 §7.1.1.1): each message is compressed once per channel for all clients. false: only clients that ask get it; the others cost a compression stream each (≈ 214 KiB, and deflate CPU per recipient).',
        ),
      clientNoContextTakeover: z.boolean().default(false).describe('Ask clients to compress each of their messages on its own.'),
      serverMaxWindowBits: windowBits.optional().describe('The largest window the server compresses with (8–15; default 15).'),
      clientMaxWindowBits: windowBits.optional().describe('Ask clients that can limit their window to use at most 2^N bytes.'),
      level: z.number().int().min(0).max(9).default(6).describe('zlib compression level 0–9.'),
    }),
  ])
  .default(false)
  .describe(
    'permessage-deflate on the built-in server: true compresses every message once per channel without context takeover; or its settings.',
  );
