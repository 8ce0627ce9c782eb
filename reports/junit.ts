// JUnit XML, in the shape of the Apache Ant JUnit schema that CI systems (Jenkins, GitLab, GitHub
// actions, Azure) read: <testsuites> with one <testsuite> (package, id, name, timestamp, hostname,
// tests, failures, errors, time; then properties, testcases, system-out, system-err), one
// <testcase> per scenario run, a <failure> (an expectation did not hold) or <error> (the run could
// not go on) carrying the evidence: expected, seen, where to look. The schema has no per-testcase
// output, so the step log of every scenario is in the suite's system-out.

import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { ScenarioResult, StepResult } from '../scenarios/runner.ts';
import type { SuiteResult } from '../scenarios/suite.ts';
import { formatMs } from '../scenarios/values.ts';

/** An XML attribute value; characters XML 1.0 cannot carry are dropped. */
export function xmlEscape(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** XML text content (quotes stay readable). */
export function xmlText(s: string): string {
  return s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const secs = (ms: number) => (ms / 1000).toFixed(3);

/** xs:dateTime without fraction or zone, as the Ant schema's pattern wants. */
function timestamp(iso: string): string {
  return iso.replace(/\.\d+Z$/, '').replace(/Z$/, '');
}

function stepLine(r: ScenarioResult, s: StepResult): string {
  const t = s.start !== undefined ? `+${formatMs(s.start)}` : '';
  return `  ${String(s.index + 1).padStart(2)} ${s.status.padEnd(7)} ${t.padEnd(9)} ${s.name ? `${s.name}: ` : ''}${s.title}${s.message && s.status !== 'passed' ? `\n             ${s.message}` : ''}`;
}

function evidence(r: ScenarioResult): string {
  const out: string[] = [];
  for (const s of r.steps.filter((x) => x.status === 'failed' || x.status === 'error')) {
    out.push(`step ${s.index + 1}${s.name ? ` "${s.name}"` : ''} at ${s.where}: ${s.title}`);
    if (s.expected) out.push(`  expected: ${s.expected}`);
    if (s.seen) out.push(`  seen:     ${s.seen}`);
    if (!s.expected && s.message) out.push(`  ${s.message}`);
    for (const l of s.look ?? []) out.push(`  look at:  ${l}`);
  }
  if (r.error) out.push(`error: ${r.error}`);
  out.push(`output: ${r.outDir}${r.kept ? ` (lab ${r.labName} kept running)` : ''}`);
  return out.join('\n');
}

export function junitXml(s: SuiteResult): string {
  const failures = s.results.filter((r) => r.status === 'failed').length;
  const errors = s.results.filter((r) => r.status === 'error').length;
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(`<testsuites>`);
  lines.push(`  <testsuite package="flexlab.scenarios" id="0" name="flexlab scenarios" timestamp="${timestamp(s.startedAt)}" hostname="${xmlEscape(hostname() || 'localhost')}" tests="${s.results.length}" failures="${failures}" errors="${errors}" time="${secs(s.durationMs)}">`);
  lines.push('    <properties>');
  lines.push(`      <property name="node" value="${xmlEscape(process.version)}"/>`);
  lines.push('    </properties>');
  for (const r of s.results) {
    const attrs = `name="${xmlEscape(r.id)}" classname="${xmlEscape(`scenarios.${r.name}`)}" time="${secs(r.durationMs)}"`;
    if (r.status === 'passed') {
      lines.push(`    <testcase ${attrs}/>`);
      continue;
    }
    const first = r.error ? r.error.split('\n')[0]! : r.steps.find((x) => x.status !== 'passed' && x.status !== 'skipped')?.message ?? r.status;
    const tag = r.status === 'error' ? 'error' : 'failure';
    const type = r.status === 'error' ? 'ScenarioError' : 'ExpectationFailed';
    lines.push(`    <testcase ${attrs}>`);
    lines.push(`      <${tag} message="${xmlEscape(first)}" type="${type}">${xmlText(evidence(r))}</${tag}>`);
    lines.push('    </testcase>');
  }
  const out = s.results.map((r) => `== ${r.id}: ${r.status} (${formatMs(r.durationMs)}), ${r.file}\n${r.steps.map((x) => stepLine(r, x)).join('\n')}`).join('\n\n');
  lines.push(`    <system-out>${xmlText(out)}</system-out>`);
  lines.push(`    <system-err>${xmlText(s.results.filter((r) => r.error).map((r) => `${r.id}: ${r.error}`).join('\n'))}</system-err>`);
  lines.push('  </testsuite>');
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

export function writeJunit(file: string, s: SuiteResult): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, junitXml(s));
}
