/**
 * `wsbench run`'s flags: loaded for `wsbench run --help` without the command's implementation
 * (../run.ts with the engine, the gate and the reporters), which is loaded only to run it (main.ts).
 */
import type { Argv } from 'yargs';

export interface GateArgs {
  threshold?: string | string[];
  baseline?: string;
  'max-regression'?: string | string[];
  repeat?: number;
  junit?: string;
  markdown?: string;
  hlog?: string;
  'abort-on-fail'?: boolean;
}

const GATE = 'CI gate:';

/** The gate's flags on `wsbench run`. */
function gateOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('threshold', {
      alias: 't',
      type: 'string',
      requiresArg: true,
      describe: 'Fail (exit 1) unless this holds, e.g. "fanout.p99 < 50ms" (repeatable; adds to the scenario\'s thresholds)',
      group: GATE,
    })
    .option('baseline', {
      alias: 'b',
      type: 'string',
      requiresArg: true,
      describe: 'Compare with this earlier report (JSON); a regression fails the run (exit 1)',
      group: GATE,
    })
    .option('max-regression', {
      type: 'string',
      requiresArg: true,
      describe: 'Baseline tolerance: "10%" for every metric, or "fanout.p99=20%" / "metric=off" per metric (repeatable)',
      group: GATE,
    })
    .option('repeat', {
      type: 'number',
      requiresArg: true,
      describe: 'Run the scenario N times; the report merges them, baseline checks compare medians',
      group: GATE,
    })
    .option('abort-on-fail', {
      type: 'boolean',
      describe: 'Stop as soon as a threshold is certainly broken (counters such as connections.failed)',
      group: GATE,
    })
    .option('junit', {
      type: 'string',
      requiresArg: true,
      describe: 'Write JUnit XML here (a testcase per threshold and baseline check)',
      group: GATE,
    })
    .option('markdown', {
      type: 'string',
      requiresArg: true,
      describe: 'Write a Markdown summary here (also appended to $GITHUB_STEP_SUMMARY when set)',
      group: GATE,
    })
    .option('hlog', {
      type: 'string',
      requiresArg: true,
      describe: 'Write the latency histograms as an HdrHistogram log (.hlog)',
      group: GATE,
    });
}

export interface CapacityArgs {
  'find-capacity'?: string;
  'capacity-by'?: string;
  'capacity-max'?: number;
  'capacity-factor'?: number;
}

const CAPACITY = 'Capacity search:';

function capacityOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('find-capacity', {
      type: 'string',
      requiresArg: true,
      describe: 'Step the load up until this condition breaks, e.g. "fanout.p99 < 100ms"; report the last good step',
      group: CAPACITY,
    })
    .option('capacity-by', {
      type: 'string',
      choices: ['connections', 'rate', 'ramp'],
      describe: "What to step (default connections); ramp: one run along the scenario's stages, the condition checked per interval",
      group: CAPACITY,
    })
    .option('capacity-max', { type: 'number', describe: 'Never go above this load (default 64 × the scenario value)', group: CAPACITY })
    .option('capacity-factor', { type: 'number', describe: 'Multiply the load by this per step (default 2)', group: CAPACITY });
}

export interface RunArgs extends GateArgs, CapacityArgs {
  scenario?: string;
  connections?: number;
  rate?: string;
  duration?: string;
  'payload-size'?: string;
  channels?: number;
  encoding?: string;
  warmup?: string;
  drain?: string;
  'ramp-up'?: string;
  'max-handshakes'?: number;
  redis?: string;
  target?: string;
  out?: string;
  html?: string;
  workers?: number;
  'local-address'?: string[];
  'ws-client'?: string;
  agents?: number;
  'agents-wait'?: string;
  'agent-label'?: string[];
  'control-prefix'?: string;
  churn?: string;
  stage?: string[];
  quiet?: boolean;
  json?: boolean;
  tui?: boolean;
  verbose?: boolean;
}

export function runFlags(y: Argv) {
  return capacityOptions(gateOptions(y))
    .positional('scenario', { type: 'string', describe: 'Scenario file (YAML or JSON); flags alone work too' })
    .option('connections', { alias: 'c', type: 'number', describe: 'Client connections', group: 'Scenario overrides:' })
    .option('rate', {
      alias: 'r',
      type: 'string',
      describe: 'Publishes per second across channels (200, 5k/s)',
      group: 'Scenario overrides:',
    })
    .option('duration', { alias: 'd', type: 'string', describe: 'Publishing time after warm-up (10s, 2m)', group: 'Scenario overrides:' })
    .option('payload-size', { type: 'string', describe: 'Bytes per message, stamp included (64, 1KiB)', group: 'Scenario overrides:' })
    .option('channels', { type: 'number', describe: 'Number of channels', group: 'Scenario overrides:' })
    .option('encoding', { type: 'string', choices: ['binary', 'text'], describe: 'Payload encoding', group: 'Scenario overrides:' })
    .option('warmup', { type: 'string', describe: 'Warm-up publishing time, not measured', group: 'Scenario overrides:' })
    .option('drain', { type: 'string', describe: 'Wait for late messages after the last publish', group: 'Scenario overrides:' })
    .option('ramp-up', { type: 'string', describe: 'Spread connection opening over this long', group: 'Scenario overrides:' })
    .option('max-handshakes', { type: 'number', describe: 'Handshakes in flight at most', group: 'Scenario overrides:' })
    .option('redis', {
      type: 'string',
      describe: 'Redis URL (redis://, rediss://); default: embedded redis-server',
      group: 'Scenario overrides:',
    })
    .option('target', {
      type: 'string',
      describe:
        '"builtin", or your server\'s WebSocket URL ({channel} is filled in), e.g. ws://127.0.0.1:8000/ws/{channel}?subscribe-broadcast; a scenario\'s stack adapter (socketio, channels …) keeps its kind and gets this as its target.url',
      group: 'Scenario overrides:',
    })
    .option('out', {
      alias: 'o',
      type: 'string',
      // nargs 1: yargs otherwise refuses "-" as a value (it looks like a flag).
      nargs: 1,
      describe: 'Write the JSON report here ("-": to stdout; the summary then goes to stderr)',
    })
    .option('html', {
      type: 'string',
      requiresArg: true,
      describe: 'Write the report as one self-contained HTML page (charts over time)',
    })
    .option('workers', {
      type: 'number',
      describe: 'Client worker processes (default: from connections and cores)',
      group: 'Scenario overrides:',
    })
    .option('local-address', {
      type: 'string',
      array: true,
      describe: 'Source address for client connections (repeatable; default: 127.0.0.x as needed for loopback targets)',
      group: 'Scenario overrides:',
    })
    .option('ws-client', {
      type: 'string',
      choices: ['fast', 'ws'],
      describe: 'WebSocket client implementation',
      group: 'Scenario overrides:',
    })
    .option('stage', {
      type: 'string',
      array: true,
      describe:
        "A stage of the load (repeatable, replaces the scenario's): duration[:connections=N][:rate=R], e.g. 20s:connections=2000:rate=500/s",
      group: 'Scenario overrides:',
    })
    .option('churn', {
      type: 'string',
      describe: "While publishing, close this many clients per second and open a fresh one in each one's place (200/s)",
      group: 'Scenario overrides:',
    })
    .option('agents', {
      type: 'number',
      requiresArg: true,
      describe: 'Run the clients on N agents (wsbench agent) instead of local workers; the Redis (--redis) is their control Redis',
      group: 'Distributed runs:',
    })
    .option('agents-wait', {
      type: 'string',
      requiresArg: true,
      describe: 'How long to wait for the agents (default 60s)',
      group: 'Distributed runs:',
    })
    .option('agent-label', {
      type: 'string',
      array: true,
      requiresArg: true,
      describe: 'k=v (repeatable): only agents with all these labels',
      group: 'Distributed runs:',
    })
    .option('control-prefix', {
      type: 'string',
      requiresArg: true,
      describe: "Key prefix of the control streams (default wsbench:ctl): the agents' --prefix",
      group: 'Distributed runs:',
    })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Print only the summary' })
    .option('json', { type: 'boolean', describe: 'Stream progress events as NDJSON on stdout, ending with {"type":"report",…}' })
    .option('tui', { type: 'boolean', describe: 'Live dashboard in a terminal (default there); --no-tui prints plain progress lines' })
    .example('$0 run scenarios/quickstart.yaml', 'Built-in server and embedded Redis, defaults from the file')
    .example('$0 run scenarios/quickstart.yaml -c 1000 -r 500 --out report.json', 'Override the load, keep the report')
    .example(
      '$0 run scenarios/ci.yaml --baseline main.json --out current.json --junit wsbench.xml',
      'CI: thresholds and a baseline check, exit 1 on failure',
    )
    .example(
      '$0 run --target "ws://127.0.0.1:8000/ws/{channel}?subscribe-broadcast" --redis redis://127.0.0.1:6379 -c 100 -r 50 -d 10s',
      'Your own stack, no file',
    );
}
