// The JSON report: the suite result as data (every scenario, step, snapshot, flow and event), for
// tools and dashboards. Paths are kept absolute so the file can be read from anywhere.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SuiteResult } from '../scenarios/suite.ts';

export const JSON_REPORT_VERSION = 1;

export function jsonReport(s: SuiteResult): string {
  return JSON.stringify({ version: JSON_REPORT_VERSION, tool: 'flexlab', ...s }, null, 2) + '\n';
}

export function writeJsonReport(file: string, s: SuiteResult): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, jsonReport(s));
}
