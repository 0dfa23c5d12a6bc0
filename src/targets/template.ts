/**
 * URL and message templates: {channel}, {channels} and {client} are filled per client. A leaf:
 * target adapters fill their own templates with it, and the engine fills the client URL.
 *
 * {channels} is every channel of a client in several channels, comma-separated (each name
 * URL-encoded in a URL, so a comma in a name is %2C there); for a client in one channel it is
 * that channel, as {channel}.
 */
export function fillTemplate(template: string, channel: string, client: number, channels: string = channel): string {
  return template.replaceAll('{channels}', channels).replaceAll('{channel}', channel).replaceAll('{client}', String(client));
}
