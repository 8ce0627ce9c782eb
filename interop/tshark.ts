// tshark (Wireshark 4.0) as the independent judge of lab captures. Key tables are passed as UAT
// records, one line of `ikev2_decryption_table` / `esp_sa` each (../shared/interop/README.md
// section 8); tshark runs with an empty private configuration directory so a user's own Wireshark
// settings cannot change a verdict.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export interface KeyTables {
  ikev2: string[];
  esp: string[];
}

/** Lines of <dir>/ikev2_decryption_table and <dir>/esp_sa (missing files are empty). */
export function readKeyTables(...dirs: string[]): KeyTables {
  const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean) : []);
  const ikev2 = new Set<string>();
  const esp = new Set<string>();
  for (const d of dirs) {
    for (const l of read(join(d, 'ikev2_decryption_table'))) ikev2.add(l);
    for (const l of read(join(d, 'esp_sa'))) esp.add(l);
  }
  return { ikev2: [...ikev2], esp: [...esp] };
}

/** The -o arguments for key tables (ESP decryption and ICV checking switched on). */
export function uatArgs(keys: Partial<KeyTables> = {}): string[] {
  const args: string[] = [];
  for (const l of keys.ikev2 ?? []) args.push('-o', `uat:ikev2_decryption_table:${l}`);
  args.push('-o', 'esp.enable_encryption_decode:TRUE', '-o', 'esp.enable_authentication_check:TRUE');
  for (const l of keys.esp ?? []) args.push('-o', `uat:esp_sa:${l}`);
  return args;
}

export async function runTshark(args: string[], timeoutMs = 120_000): Promise<string> {
  const conf = mkdtempSync(join(tmpdir(), 'flexlab-tshark-'));
  try {
    const { stdout } = await execFileP('tshark', args, {
      env: { ...process.env, HOME: conf, WIRESHARK_CONFIG_DIR: conf, XDG_CONFIG_HOME: conf },
      maxBuffer: 512 * 1024 * 1024, timeout: timeoutMs,
    });
    return stdout;
  } finally {
    rmSync(conf, { recursive: true, force: true });
  }
}

/** Per-frame values of the given fields (tshark -T json -e ...). */
export async function tsharkFields(file: string, fields: string[], opts: { keys?: Partial<KeyTables>; filter?: string } = {}): Promise<Array<Record<string, string[]>>> {
  const args = ['-r', file, ...uatArgs(opts.keys)];
  if (opts.filter) args.push('-Y', opts.filter);
  args.push('-T', 'json', ...fields.flatMap((f) => ['-e', f]));
  const out = await runTshark(args);
  const packets = JSON.parse(out || '[]') as Array<{ _source: { layers: Record<string, string[]> } }>;
  return packets.map((p) => p._source.layers);
}
