/** URL and message templates: {channel} and {client} are filled per client. */
export function fillTemplate(template: string, channel: string, client: number): string {
  return template.replaceAll('{channel}', channel).replaceAll('{client}', String(client));
}
