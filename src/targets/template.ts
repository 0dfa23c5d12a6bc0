/**
 * URL and message templates: {channel} and {client} are filled per client. A leaf: target adapters
 * fill their own templates with it, and the engine fills the client URL.
 */
export function fillTemplate(template: string, channel: string, client: number): string {
  return template.replaceAll('{channel}', channel).replaceAll('{client}', String(client));
}
