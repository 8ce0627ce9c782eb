// Running tshark (Wireshark 4.0) as the independent decoder of our captures: per-frame field values,
// IKE payload type lists, malformed/expert flags. Decryption keys are passed as UAT records, one
// line of `ikev2_decryption_table` / `esp_sa` each (format: ../shared/interop/README.md section 8).
// tshark runs with an empty private configuration directory so a user's own Wireshark settings
// (or key tables copied there) cannot change the result.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PayloadType } from '../engine/ike/constants.ts';
import type { Payload } from '../engine/ike/message.ts';
import { isUnknown } from '../engine/ike/message.ts';

const run = promisify(execFile);

export interface UatRecords {
  /** Lines of an ikev2_decryption_table file. */
  ikev2?: string[];
  /** Lines of an esp_sa file (enables ESP decryption). */
  esp?: string[];
}

export interface TsharkOptions {
  uat?: UatRecords;
  /** Display filter (-Y). */
  filter?: string;
  /** More tshark arguments (e.g. -o udp.check_checksum:TRUE). */
  args?: string[];
}

/** The -o arguments for a set of UAT records. */
export function uatArgs(uat: UatRecords = {}): string[] {
  const args: string[] = [];
  for (const l of uat.ikev2 ?? []) if (l.trim()) args.push('-o', `uat:ikev2_decryption_table:${l.trim()}`);
  if (uat.esp?.length) args.push('-o', 'esp.enable_encryption_decode:TRUE');
  for (const l of uat.esp ?? []) if (l.trim()) args.push('-o', `uat:esp_sa:${l.trim()}`);
  return args;
}

/** Runs tshark with a private empty configuration; returns stdout. */
export async function runTshark(args: string[]): Promise<string> {
  const conf = mkdtempSync(join(tmpdir(), 'flexlab-tshark-'));
  try {
    const { stdout } = await run('tshark', args, {
      env: { ...process.env, HOME: conf, WIRESHARK_CONFIG_DIR: conf, XDG_CONFIG_HOME: conf },
      maxBuffer: 256 * 1024 * 1024,
    });
    return stdout;
  } finally {
    rmSync(conf, { recursive: true, force: true });
  }
}

/** Per-frame values of the given fields (tshark -T json -e ...), frames without any of them omitted. */
export async function tsharkFields(pcapPath: string, fields: string[], opts: TsharkOptions = {}): Promise<Array<Record<string, string[]>>> {
  const args = ['-r', pcapPath, ...uatArgs(opts.uat), ...(opts.args ?? [])];
  if (opts.filter) args.push('-Y', opts.filter);
  args.push('-T', 'json', ...fields.flatMap((f) => ['-e', f]));
  const out = await runTshark(args);
  const packets = JSON.parse(out || '[]') as Array<{ _source: { layers: Record<string, string[]> } }>;
  return packets.map((p) => p._source.layers);
}

export type ExpertSeverity = 'comment' | 'chat' | 'note' | 'warn' | 'error';

export interface ExpertItem {
  severity: ExpertSeverity;
  message: string;
}

export interface TsharkIkeFrame {
  frame: number;
  /** Exchange type of each IKE message in the frame (usually one). */
  exchangeTypes: number[];
  /**
   * isakmp.typepayload in tree order: payload types, including the SA substructures (2 = proposal,
   * 3 = transform) and the payloads tshark decrypted from SK/SKF (after the 46 or 53).
   */
  payloads: number[];
  notifyTypes: number[];
  spiI: string[];
  spiR: string[];
  fragNumber: number[];
  fragTotal: number[];
  malformed: boolean;
  /** Expert items of severity note and above (the "Expert Info" tshark attaches). */
  expert: ExpertItem[];
}

const SEVERITY: Record<number, ExpertSeverity> = {
  0x100000: 'comment', 0x200000: 'chat', 0x400000: 'note', 0x600000: 'warn', 0x800000: 'error',
};

const num = (v: string[] | undefined) => (v ?? []).map((x) => Number(x));
const hex = (v: string[] | undefined) => (v ?? []).map((x) => x.replace(/:/g, '').toLowerCase());

/** Every frame carrying ISAKMP/IKE with its payload types as tshark decodes them. */
export async function tsharkIkePayloads(pcapPath: string, uatRecords?: UatRecords): Promise<TsharkIkeFrame[]> {
  const rows = await tsharkFields(pcapPath, [
    'frame.number', 'isakmp.exchangetype', 'isakmp.typepayload', 'isakmp.notify.msgtype', 'isakmp.ispi', 'isakmp.rspi',
    'isakmp.frag.number', 'isakmp.frag.total', '_ws.malformed', '_ws.expert.severity', '_ws.expert.message',
  ], { filter: 'isakmp', ...(uatRecords ? { uat: uatRecords } : {}) });
  return rows.map((r) => {
    const sev = num(r['_ws.expert.severity']);
    const msg = r['_ws.expert.message'] ?? [];
    const expert = sev.map((s, i) => ({ severity: SEVERITY[s] ?? 'note', message: msg[i] ?? '' }))
      .filter((e) => e.severity === 'note' || e.severity === 'warn' || e.severity === 'error');
    return {
      frame: Number(r['frame.number']![0]),
      exchangeTypes: num(r['isakmp.exchangetype']),
      payloads: num(r['isakmp.typepayload']),
      notifyTypes: num(r['isakmp.notify.msgtype']),
      spiI: hex(r['isakmp.ispi']),
      spiR: hex(r['isakmp.rspi']),
      fragNumber: num(r['isakmp.frag.number']),
      fragTotal: num(r['isakmp.frag.total']),
      malformed: (r['_ws.malformed'] ?? []).length > 0,
      expert,
    };
  });
}

/** Our payload chain written the way tshark lists isakmp.typepayload (SA expanded to 2/3 substructures). */
export function tsharkStylePayloadTypes(payloads: Payload[]): number[] {
  const out: number[] = [];
  for (const p of payloads) {
    out.push(p.type);
    if (!isUnknown(p) && p.type === PayloadType.SA) {
      for (const pr of p.proposals) {
        out.push(2);
        for (let i = 0; i < pr.transforms.length; i++) out.push(3);
      }
    }
  }
  return out;
}
