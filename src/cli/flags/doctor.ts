/**
 * `wsbench doctor`'s flags: loaded for `wsbench doctor --help` without the command's implementation
 * (../doctor.ts and what it imports), which is loaded only to run it (main.ts).
 */
import type { Argv } from 'yargs';

export interface DoctorArgs {
  connections: number;
  rate?: string;
  channels: number;
  verbose?: boolean;
  workers?: number;
  'server-processes': number;
  redis?: string;
  target: string;
}

export function doctorFlags(y: Argv) {
  return y
    .option('connections', { alias: 'c', type: 'number', default: 0, describe: 'Connections you plan (checks them against every limit)' })
    .option('rate', {
      alias: 'r',
      type: 'string',
      describe: 'Publishes per second you plan (200, 5k/s): estimates the CPU the deliveries need',
    })
    .option('channels', {
      type: 'number',
      default: 1,
      describe: 'Channels the clients are spread over (each publish reaches connections ÷ channels)',
    })
    .option('workers', { type: 'number', describe: 'Client worker processes you plan (default: as wsbench run would choose)' })
    .option('server-processes', { type: 'number', default: 1, describe: 'Reference server processes (0 when you test your own server)' })
    .option('target', {
      type: 'string',
      default: 'ws://127.0.0.1:8080/ws/{channel}',
      describe: 'Where the clients connect (for source-address planning)',
    })
    .option('redis', { type: 'string', describe: 'Redis URL to check (reachability, maxclients)' })
    .example('$0 doctor -c 100000 --server-processes 6', 'Can this machine hold 100k connections with the reference server?')
    .example('$0 doctor -c 1000 -r 400', 'And 400 publishes/s to 1,000 clients: is there CPU for 400k deliveries/s?');
}
