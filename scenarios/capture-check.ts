// What a link capture shows, read by tshark (the independent decoder) with the lab's Wireshark key
// tables: IKE messages and fragments, whether every encrypted IKE payload and every ESP packet
// decrypts, malformed frames, and which UDP ports IKE and ESP used (NAT traversal).

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ExchangeType } from '../engine/ike/constants.ts';
import { tsharkFields } from '../reports/tshark.ts';
import type { UatRecords } from '../reports/tshark.ts';

export interface CaptureAnalysis {
  frames: number;
  /** IKE messages (of the exchange asked for, if any). */
  ikeMessages: number;
  /** Frames carrying an Encrypted Fragment payload (RFC 7383). */
  ikeFragmentFrames: number;
  ikeEncrypted: number;
  ikeDecrypted: number;
  ikeUndecrypted: number[];
  espFrames: number;
  espDecrypted: number;
  espUndecrypted: number[];
  /** ESP packets not carried in UDP 4500 (RFC 3948). */
  espNotEncapsulated: number;
  /** IKE messages other than IKE_SA_INIT still sent on port 500. */
  ikeOn500AfterInit: number;
  malformed: string[];
}

export function keyTables(keyDir: string): UatRecords {
  const read = (f: string) => (existsSync(path.join(keyDir, f)) ? readFileSync(path.join(keyDir, f), 'utf8').split('\n').filter((l) => l.trim()) : []);
  return { ikev2: read('ikev2_decryption_table'), esp: read('esp_sa') };
}

const SK = 46;
const SKF = 53;

export async function analyzeCapture(file: string, keyDir: string, exchange?: string): Promise<CaptureAnalysis> {
  const uat = keyTables(keyDir);
  const rows = await tsharkFields(file, [
    'frame.number', 'udp.srcport', 'udp.dstport', 'isakmp.exchangetype', 'isakmp.typepayload', 'isakmp.enc.decrypted',
    'esp.spi', 'ip.src', 'ipv6.src', '_ws.malformed', 'ip.proto',
  ], { uat });
  const want = exchange ? (ExchangeType as unknown as Record<string, number>)[exchange] : undefined;
  const a: CaptureAnalysis = {
    frames: rows.length, ikeMessages: 0, ikeFragmentFrames: 0, ikeEncrypted: 0, ikeDecrypted: 0, ikeUndecrypted: [],
    espFrames: 0, espDecrypted: 0, espUndecrypted: [], espNotEncapsulated: 0, ikeOn500AfterInit: 0, malformed: [],
  };
  for (const r of rows) {
    const frame = Number(r['frame.number']?.[0]);
    if (r['_ws.malformed']?.length) a.malformed.push(`frame ${frame}`);
    const ex = (r['isakmp.exchangetype'] ?? []).map(Number);
    if (ex.length) {
      const payloads = (r['isakmp.typepayload'] ?? []).map(Number);
      if (want === undefined || ex.includes(want)) a.ikeMessages += ex.length;
      if (payloads.includes(SKF)) a.ikeFragmentFrames++;
      if (payloads.includes(SK) || payloads.includes(SKF)) {
        a.ikeEncrypted++;
        if (r['isakmp.enc.decrypted']?.length) a.ikeDecrypted++;
        else a.ikeUndecrypted.push(frame);
      }
      const ports = [...(r['udp.srcport'] ?? []), ...(r['udp.dstport'] ?? [])].map(Number);
      if (!ex.includes(ExchangeType.IKE_SA_INIT) && ports.includes(500) && !ports.includes(4500)) a.ikeOn500AfterInit++;
    }
    if (r['esp.spi']?.length) {
      a.espFrames++;
      // Decrypted ESP shows the inner packet: a second IP header.
      const ipHeaders = (r['ip.src']?.length ?? 0) + (r['ipv6.src']?.length ?? 0);
      if (ipHeaders >= 2) a.espDecrypted++;
      else a.espUndecrypted.push(frame);
      const ports = [...(r['udp.srcport'] ?? []), ...(r['udp.dstport'] ?? [])].map(Number);
      if (!ports.includes(4500)) a.espNotEncapsulated++;
    }
  }
  return a;
}
