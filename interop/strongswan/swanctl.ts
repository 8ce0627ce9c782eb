// Talking to a lab charon through swanctl (vici over the node's private socket; path-name Unix
// sockets work across network namespaces, so swanctl runs in the host namespace), reading
// `swanctl --list-sas --pretty`, and mapping charon's SAs onto the SessionView shape our own
// daemon returns, so `flexlab show NODE ikev2 sa|ipsec sa|session` reads the same for both.

import { readFileSync } from 'node:fs';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { run } from '../../labs/command.ts';
import type { RunResult } from '../../labs/command.ts';
import { DhGroup, EncrId, IntegId, PrfId } from '../../engine/ike/constants.ts';
import { describeChildSuite, describeIkeSuite } from '../../engine/ike/proposals.ts';
import type { IkeSaState } from '../../engine/ike/sa/ike-sa.ts';
import type { SessionView } from '../../reports/show.ts';
import type { StrongswanPaths } from './paths.ts';
import type { AuthRound, StrongswanConfig } from './config.ts';
import { resolveFile } from './config.ts';
import { timeSeconds } from './render.ts';

export function swanctlEnv(paths: StrongswanPaths): NodeJS.ProcessEnv {
  return { ...process.env, STRONGSWAN_CONF: paths.conf, SWANCTL_DIR: paths.swanctlDir };
}

/** Runs swanctl against the node's charon; returns the result whatever the exit code. */
export function swanctl(paths: StrongswanPaths, args: string[], timeoutMs = 30_000): Promise<RunResult> {
  return run(['swanctl', ...args], { env: swanctlEnv(paths), timeoutMs });
}

/** Runs swanctl and throws a readable error (with charon's messages) when it fails. */
export async function swanctlOk(paths: StrongswanPaths, args: string[], timeoutMs = 30_000): Promise<string> {
  const r = await swanctl(paths, args, timeoutMs);
  if (r.code !== 0) {
    const out = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.trim() && !/opening directory .* failed/.test(l));
    throw new Error(`swanctl ${args.join(' ')} failed (exit code ${r.code}): ${out.slice(-12).join(' | ')}`);
  }
  return r.stdout;
}

// ----------------------------------------------------------------------------- --pretty parser

export type VtValue = string | string[] | VtSection;
export interface VtSection {
  [key: string]: VtValue;
}

/**
 * Parses swanctl's --pretty output (one `key = value` per line, `name {` sections, `key = [`
 * lists), which unlike --raw keeps values with spaces (DN identities) unambiguous. Returns the
 * top-level messages in order, e.g. [{name: 'list-sa event', body: {...}}, ...].
 */
export function parsePretty(text: string): Array<{ name: string; body: VtSection }> {
  const out: Array<{ name: string; body: VtSection }> = [];
  const stack: VtSection[] = [];
  let list: string[] | undefined;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (!line) continue;
    if (list) {
      if (line === ']') list = undefined;
      else list.push(line);
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = /^(.*?)\s*\{\s*(\})?$/.exec(line)) && !/ = /.test(line.replace(/\{\s*\}?$/, ''))) {
      const sec: VtSection = {};
      if (stack.length === 0) out.push({ name: m[1]!, body: sec });
      else stack[stack.length - 1]![m[1]!] = sec;
      if (!m[2]) stack.push(sec);
      continue;
    }
    if (line === '}') {
      stack.pop();
      continue;
    }
    if ((m = /^(\S+) = \[$/.exec(line))) {
      list = [];
      if (stack.length) stack[stack.length - 1]![m[1]!] = list;
      continue;
    }
    if ((m = /^(\S+) = (.*)$/.exec(line)) && stack.length) {
      stack[stack.length - 1]![m[1]!] = m[2]!;
    }
  }
  return out;
}

/** One IKE SA as `--list-sas` shows it: the connection name and its vici section. */
export interface CharonSa {
  conn: string;
  sa: VtSection;
}

export async function listSas(paths: StrongswanPaths, timeoutMs = 15_000): Promise<CharonSa[]> {
  const text = await swanctlOk(paths, ['--list-sas', '--pretty'], timeoutMs);
  return parsePretty(text).filter((m) => m.name === 'list-sa event')
    .flatMap((m) => Object.entries(m.body).map(([conn, sa]) => ({ conn, sa: sa as VtSection })));
}

// ----------------------------------------------------------------------------- mapping

const str = (v: VtValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: VtValue | undefined): number | undefined => (typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : undefined);
const yes = (v: VtValue | undefined): boolean => v === 'yes';
const arr = (v: VtValue | undefined): string[] => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []);

/** charon's algorithm names -> IANA ids (strongSwan's enum names, src/libstrongswan/crypto). */
export const CHARON_ENCR: Record<string, number> = {
  AES_CBC: EncrId.AES_CBC, AES_CTR: EncrId.AES_CTR, AES_GCM_8: EncrId.AES_GCM_8, AES_GCM_12: EncrId.AES_GCM_12,
  AES_GCM_16: EncrId.AES_GCM_16, '3DES_CBC': EncrId.TRIPLE_DES, DES_CBC: EncrId.DES, NULL: EncrId.NULL,
  CHACHA20_POLY1305: EncrId.CHACHA20_POLY1305, AES_CCM_8: EncrId.AES_CCM_8, AES_CCM_12: EncrId.AES_CCM_12, AES_CCM_16: EncrId.AES_CCM_16,
};
export const CHARON_INTEG: Record<string, number> = {
  HMAC_MD5_96: IntegId.HMAC_MD5_96, HMAC_SHA1_96: IntegId.HMAC_SHA1_96, AES_XCBC_96: IntegId.AES_XCBC_96, AES_CMAC_96: IntegId.AES_CMAC_96,
  HMAC_SHA2_256_128: IntegId.HMAC_SHA2_256_128, HMAC_SHA2_384_192: IntegId.HMAC_SHA2_384_192, HMAC_SHA2_512_256: IntegId.HMAC_SHA2_512_256,
};
export const CHARON_PRF: Record<string, number> = {
  PRF_HMAC_MD5: PrfId.HMAC_MD5, PRF_HMAC_SHA1: PrfId.HMAC_SHA1, PRF_AES128_XCBC: PrfId.AES128_XCBC, PRF_AES128_CMAC: PrfId.AES128_CMAC,
  PRF_HMAC_SHA2_256: PrfId.HMAC_SHA2_256, PRF_HMAC_SHA2_384: PrfId.HMAC_SHA2_384, PRF_HMAC_SHA2_512: PrfId.HMAC_SHA2_512,
};
export const CHARON_DH: Record<string, number> = {
  MODP_768: DhGroup.MODP_768, MODP_1024: DhGroup.MODP_1024, MODP_1536: DhGroup.MODP_1536, MODP_2048: DhGroup.MODP_2048,
  MODP_3072: DhGroup.MODP_3072, MODP_4096: DhGroup.MODP_4096, MODP_6144: DhGroup.MODP_6144, MODP_8192: DhGroup.MODP_8192,
  ECP_256: DhGroup.ECP_256, ECP_384: DhGroup.ECP_384, ECP_521: DhGroup.ECP_521, CURVE_25519: DhGroup.CURVE25519, CURVE_448: DhGroup.CURVE448,
};

function ikeState(s: string | undefined): { state: IkeSaState; status: SessionView['status'] } {
  switch (s) {
    case 'ESTABLISHED': return { state: 'ESTABLISHED', status: 'READY' };
    case 'REKEYING': case 'REKEYED': return { state: 'REKEYING', status: 'READY' };
    case 'DELETING': case 'DESTROYING': return { state: 'DELETING', status: 'DELETE' };
    case 'CONNECTING': return { state: 'CONNECTING', status: 'IN-NEG' };
    default: return { state: 'AUTHENTICATING', status: 'IN-NEG' };
  }
}

function idType(id: string | undefined): string {
  if (!id) return 'address';
  if (/^[\d.]+$/.test(id) || id.includes(':') && /^[0-9a-f:]+$/i.test(id)) return 'address';
  if (id.includes('@')) return 'email';
  if (/=/.test(id)) return 'dn';
  return 'fqdn';
}

/** "PSK", "RSA", "ECDSA", "EAP" for an auth round, as our daemon reports its methods. */
export function authLabel(r: AuthRound | undefined, baseDir: string): string | undefined {
  if (!r) return undefined;
  if (r.auth === 'psk') return 'PSK';
  if (r.auth.startsWith('eap') || r.auth.startsWith('xauth')) return 'EAP';
  if (r.auth === 'rsa' || r.auth.startsWith('rsa')) return 'RSA';
  if (r.auth === 'ecdsa' || r.auth.startsWith('ecdsa')) return 'ECDSA';
  const cert = r.certs?.[0];
  if (cert) {
    try {
      const key = new X509Certificate(readFileSync(resolveFile(baseDir, cert))).publicKey;
      return createPublicKey(key).asymmetricKeyType === 'ec' ? 'ECDSA' : 'RSA';
    } catch {
      return 'RSA';
    }
  }
  return 'PUBKEY';
}

/** charon's IKE SAs in our daemon's SessionView shape (fields charon does not report stay 0/empty). */
export function toSessionViews(sas: CharonSa[], cfg: StrongswanConfig, baseDir: string, now = Date.now()): SessionView[] {
  return sas.map(({ conn, sa }) => {
    const c = cfg.connections[conn];
    const initiator = yes(sa['initiator']);
    const spiI = str(sa['initiator-spi']) ?? '0000000000000000';
    const spiR = str(sa['responder-spi']) ?? '0000000000000000';
    const suite = {
      encr: CHARON_ENCR[str(sa['encr-alg']) ?? ''] ?? 0, encrKeyBits: num(sa['encr-keysize']),
      prf: CHARON_PRF[str(sa['prf-alg']) ?? ''] ?? 0, integ: CHARON_INTEG[str(sa['integ-alg']) ?? ''] ?? IntegId.NONE,
      dh: CHARON_DH[str(sa['dh-group']) ?? ''] ?? 0,
    };
    const d = str(sa['encr-alg']) ? describeIkeSuite(suite) : undefined;
    const established = num(sa['established']);
    const { state, status } = ikeState(str(sa['state']));
    const localVips = arr(sa['local-vips']);
    const remoteVips = arr(sa['remote-vips']);
    const dpd = timeSeconds(c?.dpd_delay);
    const children = Object.values((sa['child-sas'] as VtSection | undefined) ?? {}).map((v) => {
      const ch = v as VtSection;
      const childSuite = {
        encr: CHARON_ENCR[str(ch['encr-alg']) ?? ''] ?? 0, encrKeyBits: num(ch['encr-keysize']),
        integ: CHARON_INTEG[str(ch['integ-alg']) ?? ''] ?? IntegId.NONE, dh: CHARON_DH[str(ch['dh-group']) ?? ''], esn: yes(ch['esn']),
      };
      const installTime = num(ch['install-time']) ?? 0;
      const lifeLeft = num(ch['life-time']);
      return {
        id: num(ch['uniqueid']) ?? 0, name: str(ch['name']) ?? '', state: str(ch['state']) ?? '',
        spiIn: str(ch['spi-in']) ?? '', spiOut: str(ch['spi-out']) ?? '',
        suite: describeChildSuite(childSuite), encr: childSuite.encr, encrKeyBits: childSuite.encrKeyBits, integ: childSuite.integ,
        pfsGroup: childSuite.dh, mode: (str(ch['mode']) ?? 'TUNNEL').toLowerCase(),
        localTs: arr(ch['local-ts']), remoteTs: arr(ch['remote-ts']),
        lifetimeSeconds: lifeLeft !== undefined ? lifeLeft + installTime : 0, lifetimeKilobytes: 0,
        remainingSeconds: lifeLeft, rekeyInSeconds: num(ch['rekey-time']), installedAt: now - installTime * 1000, initiator,
        counters: {
          packetsIn: num(ch['packets-in']) ?? 0, bytesIn: num(ch['bytes-in']) ?? 0,
          packetsOut: num(ch['packets-out']) ?? 0, bytesOut: num(ch['bytes-out']) ?? 0,
          dropsIn: 0, dropsOut: 0, interface: 'ipsec0', outboundActive: true,
        },
      };
    });
    const encap = Object.values((sa['child-sas'] as VtSection | undefined) ?? {}).some((ch) => (ch as VtSection)['encap'] === 'yes');
    const localId = str(sa['local-id']) ?? str(sa['local-host']) ?? '';
    const remoteId = str(sa['remote-id']);
    return {
      id: num(sa['uniqueid']) ?? 0, name: conn, profile: conn, state, status, initiator,
      spiI, spiR, localSpi: initiator ? spiI : spiR, remoteSpi: initiator ? spiR : spiI,
      local: { address: str(sa['local-host']) ?? '', port: num(sa['local-port']) ?? 0 },
      remote: { address: str(sa['remote-host']) ?? '', port: num(sa['remote-port']) ?? 0 },
      encr: d?.encr, keysize: d?.keysize, prf: d?.prf, hash: d?.hash, dhGroup: d?.dhGroup, suite: d ? suite : undefined,
      authSign: authLabel(c?.local, baseDir), authVerify: authLabel(c?.remote, baseDir),
      localId, localIdType: idType(localId), remoteId, remoteIdType: remoteId ? idType(remoteId) : undefined,
      remoteEapId: str(sa['remote-eap-id']),
      lifetime: timeSeconds(c?.rekey_time) ?? 14400, activeTime: established ?? 0,
      createdAt: now - (established ?? 0) * 1000, establishedAt: established !== undefined ? now - established * 1000 : undefined,
      localReqMsgId: 0, remoteReqMsgId: 0, localNextMsgId: 0, remoteNextMsgId: 0, localReqQueued: 0, remoteReqQueued: 0,
      localWindow: 1, remoteWindow: 1,
      dpd: dpd ? { interval: dpd, retries: cfg.charon?.retransmit_tries ?? 5, mode: 'periodic' } : undefined,
      fragmentation: {
        configured: (c?.fragmentation ?? 'yes') !== 'no',
        mtu: cfg.charon?.fragment_size ?? 1280,
        // charon does not report whether the peer announced IKEV2_FRAGMENTATION_SUPPORTED.
        peerSupports: false,
      },
      nat: { local: yes(sa['nat-local']), remote: yes(sa['nat-remote']), faked: yes(sa['nat-fake']), encapsulated: encap || yes(sa['nat-any']) },
      assignedAddress: remoteVips[0], assignedAddress6: remoteVips.find((a) => a.includes(':')),
      receivedConfig: localVips.length ? {
        address4: localVips.find((a) => !a.includes(':')), address6: localVips.find((a) => a.includes(':')),
        dns: [], nbns: [], subnets: [], splitDns: [], other: [],
      } : undefined,
      assignedConfig: undefined,
      peerVendorIds: [],
      stats: { requestsSent: 0, responsesSent: 0, requestsReceived: 0, responsesReceived: 0, retransmits: 0, retransmitsReceived: 0, fragmentsSent: 0, fragmentsReceived: 0 },
      interface: 'ipsec0',
      children,
    } satisfies SessionView;
  });
}

/** `swanctl --stats` as a tree (uptime, workers, IKE SA counts, loaded plugins). */
export async function charonStats(paths: StrongswanPaths): Promise<VtSection> {
  const msgs = parsePretty(await swanctlOk(paths, ['--stats', '--pretty'], 10_000));
  return msgs[0]?.body ?? {};
}
