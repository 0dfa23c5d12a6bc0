/**
 * JUnit XML for CI test dashboards: one testcase per threshold and per baseline check, a failure
 * carrying the measured value. A run that did not complete adds a failing `run completed` case so a
 * partial run never shows up as all green. Pure string builder.
 */
import type { GateOutcome } from '../gate/result.js';
import type { RunReport } from '../results/types.js';

interface Case {
  classname: string;
  name: string;
  failure?: { type: string; message: string; detail: string };
  skipped?: string;
  output?: string;
}

export function junitXml(report: RunReport, outcome: GateOutcome): string {
  const suites: { name: string; cases: Case[] }[] = [];
  const runName = report.run.name ?? 'run';
  if (!report.run.completed) {
    suites.push({
      name: 'wsbench run',
      cases: [
        {
          classname: 'wsbench.run',
          name: 'run completed',
          failure: {
            type: 'incomplete',
            message: `the run did not complete: ${outcome.abortedBy ?? report.run.stopReason ?? 'stopped'}`,
            detail: report.run.stopReason ?? '',
          },
        },
      ],
    });
  }
  suites.push({
    name: 'wsbench thresholds',
    cases: outcome.thresholds.map((t) => ({
      classname: 'wsbench.thresholds',
      name: t.expression,
      ...(t.passed
        ? { output: t.message }
        : { failure: { type: 'threshold', message: t.message, detail: `${t.message}\n(from ${t.origin})` } }),
    })),
  });
  if (outcome.baseline) {
    const b = outcome.baseline;
    suites.push({
      name: 'wsbench baseline',
      cases: b.checks.map((c) => ({
        classname: 'wsbench.baseline',
        name: c.metric,
        ...(c.verdict === 'skipped'
          ? { skipped: c.message }
          : c.passed
            ? { output: c.message }
            : { failure: { type: c.verdict, message: c.message, detail: `${c.message}\nbaseline: ${b.source}\nmethod: ${b.method}` } }),
      })),
    });
  }

  const count = (cases: Case[], f: (c: Case) => boolean) => cases.filter(f).length;
  const all = suites.flatMap((s) => s.cases);
  const seconds = (report.run.durationMs / 1000).toFixed(3);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="wsbench ${attr(runName)}" tests="${all.length}" failures="${count(all, (c) => !!c.failure)}" errors="0" skipped="${count(all, (c) => !!c.skipped)}" time="${seconds}">`,
  ];
  for (const suite of suites) {
    out.push(
      `  <testsuite name="${attr(suite.name)}" tests="${suite.cases.length}" failures="${count(suite.cases, (c) => !!c.failure)}" errors="0" skipped="${count(suite.cases, (c) => !!c.skipped)}" timestamp="${attr(report.run.startedAt.replace(/Z$/, ''))}" time="${seconds}">`,
      '    <properties>',
      `      <property name="wsbench.run.id" value="${attr(report.run.id)}"/>`,
      `      <property name="wsbench.version" value="${attr(report.tool.version)}"/>`,
      ...(report.repeats && report.repeats.length > 1 ? [`      <property name="wsbench.repeats" value="${report.repeats.length}"/>`] : []),
      '    </properties>',
    );
    for (const c of suite.cases) {
      const open = `    <testcase classname="${attr(c.classname)}" name="${attr(c.name)}" time="0"`;
      if (c.failure) {
        out.push(
          `${open}>`,
          `      <failure type="${attr(c.failure.type)}" message="${attr(c.failure.message)}">${text(c.failure.detail)}</failure>`,
          '    </testcase>',
        );
      } else if (c.skipped) {
        out.push(`${open}>`, `      <skipped message="${attr(c.skipped)}"/>`, '    </testcase>');
      } else if (c.output) {
        out.push(`${open}>`, `      <system-out>${text(c.output)}</system-out>`, '    </testcase>');
      } else {
        out.push(`${open}/>`);
      }
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

/** XML 1.0 has no way to write most control characters: drop them. */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '');
}

export function text(s: string): string {
  return clean(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function attr(s: string): string {
  return text(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;').replace(/\r/g, '&#13;');
}
