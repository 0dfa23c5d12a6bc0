/**
 * permessage-deflate as the clients use it: the scenario's choice (off, offer, require) and offer,
 * as plain data that travels to the workers, and what a client needs to receive compressed
 * messages. The negotiation and the codec are src/wire/permessage-deflate.ts.
 */
import type { DeflateOffer, DeflateParams } from '../wire/permessage-deflate.js';

export type CompressionMode = 'off' | 'offer' | 'require';

/** The clients' compression settings (plain data). */
export interface ClientCompression {
  mode: CompressionMode;
  /** The permessage-deflate offer (one element). */
  offer: DeflateOffer;
  /**
   * How many leading bytes of a message the receiver reads, when that is all it reads (the binary
   * stamp through the plain protocol); null: every byte. Without context takeover only these are
   * inflated (the rest is neither checked nor sized).
   */
  inflatePrefix: number | null;
}

export const NO_COMPRESSION: ClientCompression = { mode: 'off', offer: {}, inflatePrefix: null };

/** The parameters as the server's answer would state them: the key connections are counted under in the report. */
export function describeDeflateParams(params: DeflateParams): string {
  const parts = ['permessage-deflate'];
  if (params.serverNoContextTakeover) parts.push('server_no_context_takeover');
  if (params.clientNoContextTakeover) parts.push('client_no_context_takeover');
  parts.push(`server_max_window_bits=${params.serverMaxWindowBits}`);
  parts.push(`client_max_window_bits=${params.clientMaxWindowBits}`);
  return parts.join('; ');
}
