// Validates JUnit XML against the Apache Ant JUnit schema (test/fixtures/junit/JUnit.xsd) with
// xmllint (Debian package libxml2-utils).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../labs/command.ts';

export const JUNIT_XSD = fileURLToPath(new URL('../fixtures/junit/JUnit.xsd', import.meta.url));

export async function validateJunit(xml: string): Promise<{ ok: boolean; output: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'flexlab-junit-'));
  try {
    const file = path.join(dir, 'junit.xml');
    writeFileSync(file, xml);
    const r = await run(['xmllint', '--noout', '--schema', JUNIT_XSD, file]);
    return { ok: r.code === 0, output: r.stderr + r.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
