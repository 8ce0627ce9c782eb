// What a link capture shows, read by tshark (the independent decoder) with the lab's Wireshark key
// tables: IKE messages and fragments, whether every encrypted IKE payload and every ESP packet
// decrypts, malformed frames, and which UDP ports IKE and ESP used (NAT traversal); and RADIUS
// decoded with its shared secret (codes, attributes, authenticators, nothing malformed).

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ExchangeType } from '../engine/ike/constants.ts';
import { radiusCodeName } from '../engine/radius/constants.ts';
import { attrByName } from '../engine/radius/dictionary.ts';
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

/** Frames of a capture that match a Wireshark display filter. */
export async function countFrames(file: string, filter: string, keyDir: string): Promise<number> {
  return (await tsharkFields(file, ['frame.number'], { uat: keyTables(keyDir), filter })).length;
}

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
      // IKE_SESSION_RESUME (RFC 5723) stands for IKE_SA_INIT: port 500 before the float too.
      if (!ex.includes(ExchangeType.IKE_SA_INIT) && !ex.includes(ExchangeType.IKE_SESSION_RESUME) && ports.includes(500) && !ports.includes(4500)) a.ikeOn500AfterInit++;
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

/** What tshark makes of the RADIUS in a capture, decoded with the shared secret(s). */
export interface RadiusCaptureAnalysis {
  /** RADIUS packets, and how many of each code (by name). */
  packets: number;
  codes: Record<string, number>;
  /** Attribute names (as asked) seen in at least one packet. */
  attributes: string[];
  malformed: string[];
  /** Expert items of severity error, "frame N: message". */
  errors: string[];
  /** Frames whose authenticator tshark found invalid with the secret. */
  badAuthenticators: number[];
  /** Frames whose authenticator tshark checked and found valid. */
  validAuthenticators: number;
}


/**
 * Decodes the RADIUS of a capture with tshark (radius.shared_secret, validate_authenticator):
 * authentication/accounting with `secret`, RFC 5176 (UDP 3799) with `daeSecret` when given.
 */
export async function analyzeRadius(file: string, secret: string, attributes: string[] = [], daeSecret?: string): Promise<RadiusCaptureAnalysis> {
  const a: RadiusCaptureAnalysis = { packets: 0, codes: {}, attributes: [], malformed: [], errors: [], badAuthenticators: [], validAuthenticators: 0 };
  // Attributes are found by type (and vendor and vendor type for VSAs), not by tshark's field names,
  // which differ for some (EAP-Message is radius.eap_fragment).
  const defs = attributes.map((name) => {
    const d = attrByName(name);
    if (!d) throw new Error(`unknown RADIUS attribute "${name}"`);
    return { name, d };
  });
  const fields = ['frame.number', 'radius.code', 'radius.authenticator.valid', 'radius.authenticator.invalid', '_ws.malformed', '_ws.expert.severity', '_ws.expert.message',
    'radius.avp.type', 'radius.avp.vendor_id', 'radius.avp.vendor_type'];
  const passes: Array<{ secret: string; filter: string }> = daeSecret
    ? [{ secret, filter: 'radius && !(udp.port == 3799)' }, { secret: daeSecret, filter: 'radius && udp.port == 3799' }]
    : [{ secret, filter: 'radius' }];
  const seen = new Set<string>();
  for (const pass of passes) {
    const rows = await tsharkFields(file, fields, {
      filter: pass.filter, args: ['-o', `radius.shared_secret:${pass.secret}`, '-o', 'radius.validate_authenticator:TRUE'],
    });
    for (const r of rows) {
      const frame = Number(r['frame.number']?.[0]);
      for (const c of r['radius.code'] ?? []) {
        a.packets++;
        const name = radiusCodeName(Number(c));
        a.codes[name] = (a.codes[name] ?? 0) + 1;
      }
      if (r['_ws.malformed']?.length) a.malformed.push(`frame ${frame}`);
      // Expert severity "error" is 0x00800000 (epan/proto.h PI_ERROR).
      (r['_ws.expert.severity'] ?? []).forEach((sev, i) => {
        if (Number(sev) >= 0x00800000) a.errors.push(`frame ${frame}: ${r['_ws.expert.message']?.[i] ?? 'error'}`);
      });
      if (r['radius.authenticator.invalid']?.some((v) => v === '1' || v === 'True')) a.badAuthenticators.push(frame);
      if (r['radius.authenticator.valid']?.some((v) => v === '1' || v === 'True')) a.validAuthenticators++;
      const types = (r['radius.avp.type'] ?? []).map(Number);
      const vendors = (r['radius.avp.vendor_id'] ?? []).map(Number);
      const vtypes = (r['radius.avp.vendor_type'] ?? []).map(Number);
      for (const { name, d } of defs) {
        const present = d.vendor ? vendors.some((v, i) => v === d.vendor && vtypes[i] === d.type) : types.includes(d.type);
        if (present) seen.add(name);
      }
    }
  }
  a.attributes = attributes.filter((x) => seen.has(x));
  return a;
}
