/**
 * What the connections of a transport had in effect — TLS and permessage-deflate — as short
 * phrases for the text summary, the Markdown and the HTML report, and the facts `compare` and
 * `--baseline` check for like-for-like (two reports that differ here measured different systems).
 * Pure. The like-for-like facts `compare` and `--baseline` check are `connectionFacts` in
 * gate/scenario-diff.ts.
 */
import type { TransportReport } from '../results/types.js';
import { fmtInt, fmtNum, fmtPercent } from './format.js';

/** The TLS in effect: "plain (no TLS)", or versions and cipher suites with the resumed sessions. */
export function tlsText(t: Pick<TransportReport, 'tls'>): string | null {
  if (t.tls === undefined) return null;
  if (t.tls === null) return 'plain (no TLS)';
  const negotiated = Object.entries(t.tls.negotiated)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => (Object.keys(t.tls!.negotiated).length > 1 ? `${k} ×${fmtInt(n)}` : k));
  return `${negotiated.join(', ')} · ${fmtInt(t.tls.handshakes)} handshakes · ${fmtInt(t.tls.resumedSessions)} resumed`;
}

/** The parameters without the extension's name: "server_no_context_takeover; server_max_window_bits=15 …". */
function parametersOf(key: string): string {
  return key.replace(/^permessage-deflate;?\s*/, '') || 'defaults';
}

/** Compression in effect and the wire bytes per payload byte. */
export function compressionText(t: Pick<TransportReport, 'compression' | 'connections'>): string | null {
  const c = t.compression;
  if (!c) return null;
  const ratio = `wire ${fmtNum(c.ratio)} B per payload byte`;
  if (c.mode === 'off') return `off · ${ratio}`;
  const params = Object.entries(c.parameters).sort((a, b) => b[1] - a[1]);
  const negotiated =
    c.connections === 0
      ? `${c.mode === 'offer' ? 'offered' : 'required'}, declined by the server`
      : `permessage-deflate on ${fmtInt(c.connections)}/${fmtInt(t.connections.opened)} connections (${fmtPercent(c.share, 0)}, ${c.mode})`;
  return [negotiated, ...params.map(([k]) => parametersOf(k)), ratio].join(' · ');
}
