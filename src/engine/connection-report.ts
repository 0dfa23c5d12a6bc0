/**
 * The report's account of what the connections negotiated (TLS, permessage-deflate) and of the
 * bytes on the wire per payload byte, from the workers' counts. Pure.
 */
import { round3 } from '../metrics/rounding.js';
import type { CompressionReport, TlsReport, WireReport } from '../results/types.js';
import { addConnectionFacts, emptyConnectionFacts, type ConnectionFactsData } from '../transports/connection-facts.js';

export interface ConnectionReportInput {
  facts: readonly (ConnectionFactsData | undefined)[];
  compressionMode: CompressionReport['mode'];
  payloadSize: number;
  delivered: number;
  opened: number;
  wire: WireReport;
}

export function connectionReport(input: ConnectionReportInput): { tls: TlsReport | null; compression: CompressionReport } {
  const facts = emptyConnectionFacts();
  for (const f of input.facts) if (f) addConnectionFacts(facts, f);
  const handshakes = Object.values(facts.tls).reduce((a, b) => a + b, 0);
  const compressed = Object.values(facts.compression).reduce((a, b) => a + b, 0);
  const payloadBytes = input.payloadSize * input.delivered;
  return {
    tls: handshakes > 0 ? { handshakes, negotiated: facts.tls, resumedSessions: facts.tlsResumed } : null,
    compression: {
      mode: input.compressionMode,
      connections: compressed,
      share: input.opened > 0 ? round3(compressed / input.opened) : 0,
      parameters: facts.compression,
      payloadBytes,
      ratio: payloadBytes > 0 ? round3(input.wire.bytesIn / payloadBytes) : 0,
    },
  };
}
