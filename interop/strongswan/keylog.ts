// Wireshark key tables from charon's level-4 log (the packaged charon has no save-keys plugin;
// ../shared/interop/README.md section 8). The log (filelog "keys": ike = 4, chd = 4, cfg = 1,
// ike_name = yes) prints every secret as "Sk_ei secret => 32 bytes @ 0x..." followed by a hex
// dump, the CHILD_SA keys and SPIs, and the selected proposals; lines carry the IKE SA's unique id
// ("<net|1>"). IKE SPIs are not printed as such, but the NAT-D hash input of IKE_SA_INIT
// (natd_chunk = SPIi | SPIr | address | port, RFC 7296 2.23) holds them; for IKE SAs made by a
// rekey (no NAT-D) the SPIs come from `swanctl --list-sas` while the SA is still up.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IntegId } from '../../engine/ike/constants.ts';
import { wiresharkIkeEncrName, wiresharkIkeIntegName } from '../../engine/ike/keyexport.ts';
import { espSaLine } from '../../engine/esp/keyexport.ts';
import type { StrongswanPaths } from './paths.ts';
import { CHARON_ENCR, CHARON_INTEG, listSas } from './swanctl.ts';

export interface CharonIkeKeys {
  uniqueId: number;
  spiI?: string;
  spiR?: string;
  encr: number;
  encrKeyBits?: number;
  integ: number;
  skEi: string;
  skEr: string;
  skAi: string;
  skAr: string;
}

export interface CharonEspKeys {
  uniqueId: number;
  direction: 'inbound' | 'outbound';
  spi: number;
  src: string;
  dst: string;
  encr: number;
  encrKeyBits?: number;
  integ: number;
  encrKey: string;
  integKey: string;
}

export interface CharonKeys {
  ike: CharonIkeKeys[];
  esp: CharonEspKeys[];
}

const LINE = /^\S+ (\d+)\[(\w+)\] (?:<(?:[^|>]*\|)?(\d+)> )?(.*)$/;
const DUMP = /^\s*\d+: ((?:[0-9A-F]{2} )*[0-9A-F]{2})/;
const BLOB = /^(.*?) => (\d+) bytes @ 0x[0-9a-f]+$/;

/** "AES_CBC_256/HMAC_SHA2_256_128/..." -> ids, from a `selected proposal:` line. */
export function parseProposal(text: string): { encr: number; encrKeyBits?: number; integ: number } | undefined {
  const parts = text.split('/');
  let encr: number | undefined;
  let bits: number | undefined;
  let integ: number = IntegId.NONE;
  for (const p of parts) {
    if (encr === undefined) {
      for (const [name, id] of Object.entries(CHARON_ENCR)) {
        const m = new RegExp(`^${name}(?:_(\\d+))?$`).exec(p);
        if (m) {
          encr = id;
          bits = m[1] ? Number(m[1]) : undefined;
          break;
        }
      }
      if (encr !== undefined) continue;
    }
    if (CHARON_INTEG[p] !== undefined) integ = CHARON_INTEG[p]!;
  }
  return encr === undefined ? undefined : { encr, encrKeyBits: bits, integ };
}

interface Context {
  ikeProposal?: ReturnType<typeof parseProposal>;
  espProposal?: ReturnType<typeof parseProposal>;
  ikeSecrets: Record<string, string>;
  childKeys: Record<string, string>;
  role?: 'initiator' | 'responder';
  spis?: { spiI: string; spiR: string };
  pendingSa?: { direction: 'inbound' | 'outbound' };
}

/**
 * Reads a level-4 charon log. `knownSpis` (unique id -> SPIs, from --list-sas) fills the SPIs of
 * IKE SAs that NAT-D does not reveal; IKE SAs without SPIs are left out of the IKE table.
 */
export function parseCharonKeyLog(text: string, knownSpis: Map<number, { spiI: string; spiR: string }> = new Map()): CharonKeys {
  const contexts = new Map<number, Context>();
  const dumps = new Map<string, { name: string; bytes: number; hex: string; ctx: number }>();
  const ike = new Map<number, CharonIkeKeys>();
  const esp: CharonEspKeys[] = [];
  const ctxOf = (id: number): Context => {
    let c = contexts.get(id);
    if (!c) contexts.set(id, c = { ikeSecrets: {}, childKeys: {} });
    return c;
  };
  const finishDump = (thread: string) => {
    const d = dumps.get(thread);
    if (!d) return;
    dumps.delete(thread);
    const c = ctxOf(d.ctx);
    const hex = d.hex.slice(0, d.bytes * 2);
    const sk = /^(Sk_\w+) secret$/.exec(d.name);
    if (sk) c.ikeSecrets[sk[1]!] = hex;
    else if (/^(encryption|integrity) (initiator|responder) key$/.test(d.name)) c.childKeys[d.name] = hex;
    else if (d.name === 'natd_chunk' && hex.length >= 32 && !/^0+$/.test(hex.slice(16, 32))) {
      c.spis = { spiI: hex.slice(0, 16), spiR: hex.slice(16, 32) };
    }
  };

  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const [, thread, , ctxId, msg] = m as unknown as [string, string, string, string | undefined, string];
    const dm = DUMP.exec(msg);
    const open = dumps.get(thread!);
    if (dm && open) {
      open.hex += dm[1]!.replace(/ /g, '').toLowerCase();
      if (open.hex.length >= open.bytes * 2) finishDump(thread!);
      continue;
    }
    finishDump(thread!);
    if (ctxId === undefined) continue;
    const id = Number(ctxId);
    const c = ctxOf(id);
    const blob = BLOB.exec(msg);
    if (blob) {
      dumps.set(thread!, { name: blob[1]!.trim(), bytes: Number(blob[2]), hex: '', ctx: id });
      continue;
    }
    let x: RegExpExecArray | null;
    if ((x = /selected proposal: (IKE|ESP):(\S+)/.exec(msg))) {
      const p = parseProposal(x[2]!);
      if (x[1] === 'IKE') c.ikeProposal = p;
      else c.espProposal = p;
    } else if ((x = /^parsed (IKE_AUTH|CREATE_CHILD_SA) (request|response)/.exec(msg))) {
      c.role = x[2] === 'response' ? 'initiator' : 'responder';
    } else if ((x = /IKE_SA \S*\[(\d+)\] state change: \S+ => ESTABLISHED/.exec(msg))) {
      // A rekey is logged in the old SA's context; the responder of a rekey logs the new SA's
      // secrets in the new SA's own context ("<net|2>"), its initiator in the old one's.
      const n = Number(x[1]);
      const own = ctxOf(n);
      const s = own.ikeSecrets['Sk_ei'] ? own.ikeSecrets : c.ikeSecrets;
      const proposal = c.ikeProposal ?? own.ikeProposal;
      if (s['Sk_ei'] && s['Sk_er'] && proposal && !ike.has(n)) {
        const spis = own.spis ?? knownSpis.get(n);
        ike.set(n, {
          uniqueId: n, spiI: spis?.spiI, spiR: spis?.spiR, encr: proposal.encr, encrKeyBits: proposal.encrKeyBits,
          integ: proposal.integ, skEi: s['Sk_ei'], skEr: s['Sk_er'], skAi: s['Sk_ai'] ?? '', skAr: s['Sk_ar'] ?? '',
        });
      }
      own.ikeSecrets = {};
      c.ikeSecrets = {};
    } else if ((x = /^adding (inbound|outbound) ESP SA$/.exec(msg))) {
      c.pendingSa = { direction: x[1] as 'inbound' | 'outbound' };
    } else if ((x = /^\s*SPI 0x([0-9a-f]+), src (\S+) dst (\S+)$/.exec(msg)) && c.pendingSa && c.espProposal) {
      const dir = c.pendingSa.direction;
      c.pendingSa = undefined;
      // Keys "initiator" protect initiator -> responder of the exchange that made the CHILD SA.
      const sender = (dir === 'outbound') === (c.role !== 'responder') ? 'initiator' : 'responder';
      esp.push({
        uniqueId: id, direction: dir, spi: parseInt(x[1]!, 16), src: x[2]!, dst: x[3]!,
        encr: c.espProposal.encr, encrKeyBits: c.espProposal.encrKeyBits, integ: c.espProposal.integ,
        encrKey: c.childKeys[`encryption ${sender} key`] ?? '', integKey: c.childKeys[`integrity ${sender} key`] ?? '',
      });
    }
  }
  for (const t of [...dumps.keys()]) finishDump(t);
  for (const [n, k] of ike) {
    if (!k.spiI) {
      const known = knownSpis.get(n);
      if (known) Object.assign(k, known);
    }
  }
  return { ike: [...ike.values()], esp };
}

/** Table lines in Wireshark's UAT formats (IKE SAs whose SPIs are unknown are skipped). */
export function charonKeyTableLines(keys: CharonKeys): { ikev2: string[]; esp: string[] } {
  const ikev2 = keys.ike.filter((k) => k.spiI && k.spiR).map((k) => {
    const aead = k.integ === IntegId.NONE;
    return [k.spiI, k.spiR, k.skEi, k.skEr, `"${wiresharkIkeEncrName(k.encr, k.encrKeyBits)}"`,
      aead ? '' : k.skAi, aead ? '' : k.skAr, `"${wiresharkIkeIntegName(k.integ)}"`].join(',');
  });
  const espLines = keys.esp.filter((k) => k.encrKey).map((k) => espSaLine({
    src: k.src, dst: k.dst, spi: k.spi, encr: k.encr, encrKey: Buffer.from(k.encrKey, 'hex'),
    integ: k.integ, integKey: Buffer.from(k.integKey, 'hex'),
  }));
  return { ikev2: [...new Set(ikev2)], esp: [...new Set(espLines)] };
}

/**
 * Writes <out>/keys/charon-<node>/{ikev2_decryption_table,esp_sa} from the node's key log.
 * Returns the number of IKE and ESP lines written.
 */
export function writeCharonKeyTables(paths: StrongswanPaths, knownSpis?: Map<number, { spiI: string; spiR: string }>): { ike: number; esp: number } {
  if (!existsSync(paths.keyLog)) return { ike: 0, esp: 0 };
  const lines = charonKeyTableLines(parseCharonKeyLog(readFileSync(paths.keyLog, 'utf8'), knownSpis));
  mkdirSync(paths.keyDir, { recursive: true });
  writeFileSync(join(paths.keyDir, 'ikev2_decryption_table'), lines.ikev2.map((l) => l + '\n').join(''));
  writeFileSync(join(paths.keyDir, 'esp_sa'), lines.esp.map((l) => l + '\n').join(''));
  return { ike: lines.ikev2.length, esp: lines.esp.length };
}

/** unique id -> SPIs of the IKE SAs charon holds now (for IKE SAs made by rekeys). */
export async function knownIkeSpis(paths: StrongswanPaths): Promise<Map<number, { spiI: string; spiR: string }>> {
  const out = new Map<number, { spiI: string; spiR: string }>();
  if (!existsSync(paths.vici)) return out;
  for (const { sa } of await listSas(paths, 5000)) {
    const id = Number(sa['uniqueid']);
    const spiI = sa['initiator-spi'], spiR = sa['responder-spi'];
    if (Number.isInteger(id) && typeof spiI === 'string' && typeof spiR === 'string') out.set(id, { spiI, spiR });
  }
  return out;
}
