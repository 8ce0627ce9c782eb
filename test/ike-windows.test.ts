// The Windows IKEv2 client persona (engine/personas/windows.ts, ikev2-notes 3a, seed F-WIN-01)
// against our hub, two engines under the virtual clock: the wire content of its IKE_SA_INIT and
// IKE_AUTH (proposals, vendor IDs, no IDr, CP request with 23456/23457, 580-byte fragments),
// EAP-MSCHAPv2 with and without query-identity, machine certificates, the certificate rules with
// their Windows error numbers, the CHILD rekey refused behind a NAT and the volume rekey.

import test from 'ava';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfgAttr, DhGroup, EncrId, ExchangeType, IdType, IntegId, NotifyType, PayloadType, PrfId, TransformType } from '../engine/ike/constants.ts';
import type { CertReqPayload, CpPayload, IdPayload, NotifyPayload, Payload, SaPayload, TsPayload, VendorIdPayload } from '../engine/ike/message.ts';
import { MICROSOFT_VENDOR_IDS } from '../engine/ike/vendor-ids.ts';
import { windowsEspProposals, windowsIkeProposals } from '../engine/personas/windows-proposals.ts';
import { checkServerCertificate } from '../engine/personas/windows-certs.ts';
import { ikeProposalToWire } from '../engine/ike/proposals.ts';
import { tsToText } from '../engine/ike/traffic-selectors.ts';
import { classfulPrefix } from '../engine/util/ip.ts';
import { WIN_PKI, hubOptions, sentMessages, winConfig, winPair, winSetup } from './helpers/windows.ts';
import type { SentMessage } from './helpers/windows.ts';
import { eventsOf } from './helpers/ike.ts';

const names = (ps: Payload[]) => ps.map((p) => (p.type === PayloadType.NOTIFY ? `N(${NotifyType[(p as NotifyPayload).notifyType] ?? (p as NotifyPayload).notifyType})` : PayloadType[p.type] ?? String(p.type)));
const firstOf = <T extends Payload>(ps: Payload[], type: PayloadType) => ps.find((p) => p.type === type) as T | undefined;
const certFile = (name: string) => new X509Certificate(readFileSync(join(WIN_PKI, `${name}.cert.pem`)));

function requests(m: SentMessage[], exchange: ExchangeType): SentMessage[] {
  return m.filter((x) => x.exchange === exchange && !x.response);
}

/** "3DES/SHA1/MODP_1024"-style text of a wire IKE proposal. */
function suiteText(p: SaPayload['proposals'][number]): string {
  const t = (type: TransformType) => p.transforms.filter((x) => x.type === type);
  const encr = t(TransformType.ENCR).map((x) => `${EncrId[x.id]}${x.keyLength ? `-${x.keyLength}` : ''}`).join('+');
  return [encr, t(TransformType.INTEG).map((x) => IntegId[x.id]).join('+'), t(TransformType.PRF).map((x) => PrfId[x.id]).join('+'), t(TransformType.DH).map((x) => DhGroup[x.id]).join('+')].filter(Boolean).join('/');
}

// ------------------------------------------------------------------------------ IKE_SA_INIT

test('IKE_SA_INIT: the Windows 10 proposal list, MODP-1024 KE, FRAG_SUP, NAT-D and the Microsoft vendor IDs in order', (t) => {
  const p = winPair();
  p.up();
  const init = requests(sentMessages(p.win), ExchangeType.IKE_SA_INIT)[0]!;
  t.deepEqual(names(init.payloads), ['SA', 'KE', 'NONCE', 'N(NAT_DETECTION_SOURCE_IP)', 'N(NAT_DETECTION_DESTINATION_IP)', 'N(IKEV2_FRAGMENTATION_SUPPORTED)', 'VENDOR_ID', 'VENDOR_ID', 'VENDOR_ID'],
    'no SIGNATURE_HASH_ALGORITHMS; three vendor IDs without a machine certificate');
  const sa = firstOf<SaPayload>(init.payloads, PayloadType.SA)!;
  t.is(sa.proposals.length, 12, 'one proposal per cipher and hash');
  t.deepEqual(sa.proposals.slice(0, 4).map(suiteText), [
    'TRIPLE_DES/HMAC_SHA1_96/HMAC_SHA1/MODP_1024', 'TRIPLE_DES/HMAC_SHA2_256_128/HMAC_SHA2_256/MODP_1024',
    'TRIPLE_DES/HMAC_SHA2_384_192/HMAC_SHA2_384/MODP_1024', 'AES_CBC-128/HMAC_SHA1_96/HMAC_SHA1/MODP_1024',
  ]);
  t.is(suiteText(sa.proposals[11]!), 'AES_CBC-256/HMAC_SHA2_384_192/HMAC_SHA2_384/MODP_1024');
  t.deepEqual(sa.proposals.map((x) => x.num), [...Array(12).keys()].map((i) => i + 1));
  t.is(firstOf<{ type: PayloadType.KE; group: number } & Payload>(init.payloads, PayloadType.KE)!.group, DhGroup.MODP_1024);
  const vids = init.payloads.filter((x) => x.type === PayloadType.VENDOR_ID).map((v) => (v as VendorIdPayload).data.toString('hex'));
  t.deepEqual(vids, [MICROSOFT_VENDOR_IDS.MS_NT5_ISAKMPOAKLEY_V9, MICROSOFT_VENDOR_IDS.MS_NEGOTIATION_DISCOVERY, MICROSOFT_VENDOR_IDS.WINDOWS_KEY_MODS].map((b) => b.toString('hex')));
  // Our hub (IOS smart default: AES-CBC, SHA-x, groups 5 and 2) takes the first proposal it can run.
  const hubSa = p.hub.engine.ikeSas()[0]!;
  t.deepEqual([hubSa.encr, hubSa.keysize, hubSa.hash, hubSa.dhGroup], ['AES-CBC', 128, 'SHA96', 2]);
  t.true(p.hub.engine.ikeSas()[0]!.peerVendorIds.includes(MICROSOFT_VENDOR_IDS.MS_NT5_ISAKMPOAKLEY_V9.toString('hex')));
});

test('proposal variants: NegotiateDH2048_AES256 1 and 2, Windows 11 GCM, the other layouts, Set-VpnConnectionIPsecConfiguration', (t) => {
  const wire = (ps: ReturnType<typeof windowsIkeProposals>) => ps.map((x, i) => suiteText(ikeProposalToWire(x, i + 1)));
  const base = { version: 10 as const, negotiateDh2048Aes256: 0 as const, layout: 'encr-major' as const };
  const one = wire(windowsIkeProposals({ ...base, negotiateDh2048Aes256: 1 }));
  t.is(one.length, 15);
  t.deepEqual(one.slice(0, 3), ['AES_CBC-256/HMAC_SHA1_96/HMAC_SHA1/MODP_2048', 'AES_CBC-256/HMAC_SHA2_256_128/HMAC_SHA2_256/MODP_2048', 'AES_CBC-256/HMAC_SHA2_384_192/HMAC_SHA2_384/MODP_2048'], 'the MODP-2048 proposals first (hwdsl2/setup-ipsec-vpn#106)');
  t.is(one[3], 'TRIPLE_DES/HMAC_SHA1_96/HMAC_SHA1/MODP_1024', 'then the default list');
  t.deepEqual(wire(windowsIkeProposals({ ...base, negotiateDh2048Aes256: 2 })), one.slice(0, 3), 'enforced: aes256-sha1-sha256-sha384-modp2048 only');
  const w11 = wire(windowsIkeProposals({ ...base, version: 11 }));
  t.is(w11.length, 18);
  t.deepEqual(w11.slice(12, 14), ['AES_GCM_16-128/HMAC_SHA1/MODP_1024', 'AES_GCM_16-128/HMAC_SHA2_256/MODP_1024'], 'GCM with a PRF and no integrity');
  t.deepEqual(wire(windowsIkeProposals({ ...base, layout: 'short' })).slice(0, 3), ['TRIPLE_DES/HMAC_SHA1_96/HMAC_SHA1/MODP_1024', 'AES_CBC-256/HMAC_SHA1_96/HMAC_SHA1/MODP_1024', 'TRIPLE_DES/HMAC_SHA2_256_128/HMAC_SHA2_256/MODP_1024']);
  t.deepEqual(wire(windowsIkeProposals({ ...base, layout: 'combined' })), ['TRIPLE_DES+AES_CBC-128+AES_CBC-192+AES_CBC-256/HMAC_SHA1_96+HMAC_SHA2_256_128+HMAC_SHA2_384_192/HMAC_SHA1+HMAC_SHA2_256+HMAC_SHA2_384/MODP_1024']);
  const custom = { encryptionMethod: 'AES128', integrityCheckMethod: 'SHA384', dhGroup: 'ECP256', cipherTransformConstants: 'GCMAES128', authenticationTransformConstants: 'GCMAES128', pfsGroup: 'ECP256' };
  t.deepEqual(wire(windowsIkeProposals({ ...base, custom })), ['AES_CBC-128/HMAC_SHA2_384_192/HMAC_SHA2_384/ECP_256'], 'one proposal, as the algo#760 log shows');
  const esp = windowsEspProposals({ ...base, custom });
  t.deepEqual(esp.transformSets.map((s) => s.text), ['esp-gcm 128']);
  t.is(esp.pfsGroup, DhGroup.ECP_256);
  const def = windowsEspProposals(base);
  t.deepEqual(def.transformSets.map((s) => s.text), ['esp-aes 256 esp-sha-hmac', 'esp-aes 128 esp-sha-hmac', 'esp-3des esp-sha-hmac', 'esp-null esp-sha-hmac'], 'aes256-aes128-3des-null-sha1 (no single DES)');
  t.is(def.pfsGroup, undefined, 'no PFS');
  t.throws(() => windowsIkeProposals({ ...base, custom: { ...custom, encryptionMethod: 'DES' } }), { message: /EncryptionMethod DES cannot be run/ });
  t.throws(() => windowsEspProposals({ ...base, custom: { ...custom, authenticationTransformConstants: 'SHA196' } }), { message: /do not go together/ });
});

test('a responder without MODP-1024: NO_PROPOSAL_CHOSEN is Windows error 13868 (policy match error)', (t) => {
  const p = winPair({ hub: { proposals: [{ name: 'strict', encryption: ['aes-gcm-256'], integrity: [], prf: ['sha384'], group: [20] }] } });
  p.initiate();
  p.net.runUntil(() => eventsOf(p.win, 'ike-failed').length > 0, 10_000);
  const e = eventsOf(p.win, 'ike-failed')[0]!;
  t.is(e.data?.clientError, 13868);
  t.is(e.data?.clientErrorName, 'ERROR_IPSEC_IKE_POLICY_MATCH');
  t.regex(e.text, /Windows error 13868 ERROR_IPSEC_IKE_POLICY_MATCH/);
});

// ------------------------------------------------------------------------------ EAP-MSCHAPv2

test('EAP-MSCHAPv2 with query-identity: IDi = the client address, no IDr and no AUTH, CERTREQ with 52 roots, MOBIKE_SUPPORTED, CP request with 23456/23457, 0.0.0.0/0 and ::/0, 580-byte fragments', (t) => {
  const p = winPair();
  p.up();
  const auth = requests(sentMessages(p.win), ExchangeType.IKE_AUTH);
  const first = auth[0]!;
  t.deepEqual(names(first.payloads), ['IDi', 'CERTREQ', 'N(MOBIKE_SUPPORTED)', 'CP', 'SA', 'TSi', 'TSr'], 'IDi CERTREQ N(MOBIKE_SUP) CPRQ SA TSi TSr (ikev2-notes 3a)');
  const idi = firstOf<IdPayload>(first.payloads, PayloadType.IDi)!;
  t.is(idi.idType, IdType.ID_IPV4_ADDR);
  t.is([...idi.data].join('.'), '192.0.2.10');
  t.is(firstOf<CertReqPayload>(first.payloads, PayloadType.CERTREQ)!.data.length, 52 * 20, 'every root of the machine store');
  const cp = firstOf<CpPayload>(first.payloads, PayloadType.CP)!;
  t.deepEqual(cp.attributes.map((a) => a.type), [CfgAttr.INTERNAL_IP4_ADDRESS, CfgAttr.INTERNAL_IP4_DNS, CfgAttr.INTERNAL_IP4_NBNS, 23456, CfgAttr.INTERNAL_IP6_ADDRESS, CfgAttr.INTERNAL_IP6_DNS, 23457]);
  t.true(cp.attributes.every((a) => a.value.length === 0));
  t.deepEqual(firstOf<TsPayload>(first.payloads, PayloadType.TSi)!.selectors.map(tsToText), ['0.0.0.0/0', '::/0']);
  t.deepEqual(firstOf<TsPayload>(first.payloads, PayloadType.TSr)!.selectors.map(tsToText), ['0.0.0.0/0', '::/0']);
  const esp = firstOf<SaPayload>(first.payloads, PayloadType.SA)!;
  t.is(esp.proposals.length, 4);
  t.false(esp.proposals.some((x) => x.transforms.some((tr) => tr.type === TransformType.DH)), 'no PFS group');
  // RFC 7383 at Windows' size: every fragment of the first IKE_AUTH is at most 580 bytes of UDP payload.
  t.true(first.datagrams.length >= 3, `${first.datagrams.length} fragments`);
  t.true(first.datagrams.every((n) => n <= 580), `fragment sizes ${first.datagrams.join(', ')}`);
  t.is(Math.max(...first.datagrams), first.datagrams[0]);
  t.true(auth.slice(1).every((m) => !m.payloads.some((x) => x.type === PayloadType.IDr)), 'never an IDr');
  t.deepEqual(names(auth.at(-1)!.payloads), ['AUTH'], 'the AUTH after EAP success');
  const hubResp = sentMessages(p.hub).filter((m) => m.exchange === ExchangeType.IKE_AUTH && m.response);
  t.deepEqual(names(hubResp[0]!.payloads), ['IDr', 'CERT', 'AUTH', 'EAP']);
  const hubSa = p.hub.engine.ikeSas()[0]!;
  t.is(hubSa.remoteId, '192.0.2.10');
  t.is(hubSa.remoteEapId, 'alice');
  t.is(hubSa.authVerify, 'EAP');
  const winSa = p.win.engine.ikeSas()[0]!;
  t.is(winSa.authSign, 'EAP');
  t.is(winSa.receivedConfig?.address4, '10.10.0.1');
  t.deepEqual(winSa.receivedConfig?.dns, ['10.0.1.53']);
  t.deepEqual(winSa.children[0]!.localTs, ['10.10.0.1/32'], 'the hub narrowed TSi to the virtual address');
  t.truthy(p.win.events.find((e) => e.type === 'info' && /EAP: identity "alice"/.test(e.text)), 'the client answered the hub\'s EAP-Identity request');
});

test('EAP without query-identity fails as F-WIN-01 says: address identity refused by the hub, and an e-mail identity makes the client refuse a server that skips the Identity request', (t) => {
  const noQuery = { eapServer: { mode: 'local' as const, queryIdentity: false, timeout: 90, users: { alice: { password: 'alice-pass-1' }, 'alice@flexlab.test': { password: 'alice-pass-1' } } } };
  const a = winPair({ hub: noQuery });
  a.initiate();
  a.net.runUntil(() => eventsOf(a.win, 'auth-failed').length > 0, 10_000);
  t.regex(eventsOf(a.hub, 'auth-failed')[0]!.text, /IP address identity cannot be used as EAP identity without query-identity/);
  t.is(eventsOf(a.win, 'auth-failed')[0]!.data?.clientError, 13801, 'AUTHENTICATION_FAILED from the hub: ERROR_IPSEC_IKE_AUTH_FAIL');
  t.false(a.established());

  const b = winPair({ hub: noQuery, client: { identity: 'email', domain: 'flexlab.test' } });
  b.initiate();
  b.net.runUntil(() => eventsOf(b.win, 'auth-failed').length > 0, 10_000);
  const e = eventsOf(b.win, 'auth-failed')[0]!;
  t.regex(e.text, /instead of an EAP-Identity request/);
  t.is(e.data?.clientError, 13801);
  t.false(b.established());
});

test('KB975488 identity: user@domain as IDi (RFC822), matched by e-mail domain on the hub; the EAP identity is the user as typed', (t) => {
  const p = winPair({ client: { identity: 'email', username: 'alice@flexlab.test' }, hub: { match: [{ type: 'email', value: 'flexlab.test', domain: true }] } });
  p.up();
  const first = requests(sentMessages(p.win), ExchangeType.IKE_AUTH)[0]!;
  const idi = firstOf<IdPayload>(first.payloads, PayloadType.IDi)!;
  t.is(idi.idType, IdType.ID_RFC822_ADDR);
  t.is(idi.data.toString(), 'alice@flexlab.test');
  const hubSa = p.hub.engine.ikeSas()[0]!;
  t.is(hubSa.remoteId, 'alice@flexlab.test');
  t.is(hubSa.remoteEapId, 'alice@flexlab.test');
  t.like(winSetup(winConfig({ identity: 'email', domain: 'flexlab.test' })).profiles[0], { localIdentity: { type: 'email', value: 'alice@flexlab.test' }, eapClient: { identity: 'flexlab.test\\alice' } }, 'with a domain: user@domain in IKE, DOMAIN\\user in EAP');
});

// ------------------------------------------------------------------------------ machine certificate

test('machine certificate: IDi = subject DN, CERT CERTREQ AUTH N(MOBIKE_SUP) CP SA TSi TSr, Vid-Initial-Contact, two round trips', (t) => {
  const p = winPair({
    client: { authentication: 'machine-certificate', username: undefined, password: undefined, pki: { ca: 'ca.cert.pem', certificate: 'windows/win-machine-rsa.cert.pem', key: 'windows/win-machine-rsa.key.pem' } },
    hub: { authRemote: ['rsa-sig'], eapServer: undefined },
  });
  p.up();
  const sent = sentMessages(p.win);
  const init = requests(sent, ExchangeType.IKE_SA_INIT)[0]!;
  const vids = init.payloads.filter((x) => x.type === PayloadType.VENDOR_ID).map((v) => (v as VendorIdPayload).data);
  t.deepEqual(vids, [MICROSOFT_VENDOR_IDS.MS_NT5_ISAKMPOAKLEY_V9, MICROSOFT_VENDOR_IDS.MS_NEGOTIATION_DISCOVERY, MICROSOFT_VENDOR_IDS.VID_INITIAL_CONTACT, MICROSOFT_VENDOR_IDS.WINDOWS_KEY_MODS]);
  const auth = requests(sent, ExchangeType.IKE_AUTH);
  t.is(auth.length, 1, 'one IKE_AUTH round trip');
  t.deepEqual(names(auth[0]!.payloads), ['IDi', 'CERT', 'CERTREQ', 'AUTH', 'N(MOBIKE_SUPPORTED)', 'CP', 'SA', 'TSi', 'TSr']);
  const idi = firstOf<IdPayload>(auth[0]!.payloads, PayloadType.IDi)!;
  t.is(idi.idType, IdType.ID_DER_ASN1_DN);
  t.true(auth[0]!.datagrams.length >= 4 && auth[0]!.datagrams.every((n) => n <= 580), `fragments ${auth[0]!.datagrams.join(', ')}`);
  const hubSa = p.hub.engine.ikeSas()[0]!;
  t.is(hubSa.remoteId, 'C=ZZ, O=flexlab-test, CN=win-client1.flexlab.test');
  t.is(hubSa.authVerify, 'RSA');
  t.is(p.win.engine.ikeSas()[0]!.authSign, 'RSA');
});

test('no usable machine certificate: error 13806 before any IKE_AUTH is sent (EKU without clientAuth, or a chain to an untrusted root)', (t) => {
  for (const [cert, why] of [['windows/win-machine-serverauth-rsa', /lack clientAuth/], ['rogue-rsa', /does not chain to a trusted root/]] as const) {
    const p = winPair({
      client: { authentication: 'machine-certificate', username: undefined, password: undefined, pki: { ca: 'ca.cert.pem', certificate: `${cert}.cert.pem`, key: `${cert}.key.pem` } },
      hub: { authRemote: ['rsa-sig'], eapServer: undefined },
    });
    p.initiate();
    p.net.runUntil(() => eventsOf(p.win, 'auth-failed').length > 0, 10_000);
    const e = eventsOf(p.win, 'auth-failed')[0]!;
    t.is(e.data?.clientError, 13806, cert);
    t.is(e.data?.clientErrorName, 'ERROR_IPSEC_IKE_NO_CERT');
    t.regex(e.text, why);
    t.is(requests(sentMessages(p.win), ExchangeType.IKE_AUTH).length, 0, `${cert}: nothing sent after IKE_SA_INIT`);
  }
});

// ------------------------------------------------------------------------------ server certificate rules

test('server certificate rules: each violation fails IKE_AUTH with Windows error 13801; compliant RSA, P-256 and P-384 pass', (t) => {
  const cases: Array<{ cert: string; server?: string; settings?: Record<string, unknown>; fails?: RegExp }> = [
    { cert: 'windows/vpn-rsa' },
    { cert: 'windows/vpn-ec' },
    { cert: 'windows/vpn-p384' },
    { cert: 'windows/vpn-rsa', server: 'vpn.flexlab.test' },
    { cert: 'windows/vpn-noeku-rsa', fails: /no serverAuth \(1\.3\.6\.1\.5\.5\.7\.3\.1\) extended key usage/ },
    { cert: 'windows/vpn-ipsan-rsa', fails: /only an iPAddress SAN; Windows needs the address as a dNSName SAN/ },
    { cert: 'windows/vpn-p521', fails: /curve secp521r1: Windows accepts only P-256 and P-384/ },
    { cert: 'hub-rsa', server: 'vpn.flexlab.test', fails: /server name "vpn\.flexlab\.test" is neither the subject CN/ },
    { cert: 'windows/vpn-noeku-rsa', settings: { 'disable-ike-name-eku-check': true } },
    { cert: 'hub-rsa', server: 'vpn.flexlab.test', settings: { 'disable-ike-name-eku-check': true } },
  ];
  for (const c of cases) {
    const label = `${c.cert} as ${c.server ?? '192.0.2.1'}${c.settings ? ' (DisableIKENameEkuCheck)' : ''}`;
    const ec = /-ec|p384|p521/.test(c.cert);
    const p = winPair({
      seed: label, client: { ...(c.server ? { server: c.server, address: '192.0.2.1' } : {}), ...c.settings },
      hub: { auth: ec ? 'ecdsa' : 'rsa', certName: c.cert, identity: c.cert === 'hub-rsa' ? { type: 'fqdn', value: 'hub.flexlab.test' } : { type: 'fqdn', value: 'vpn.flexlab.test' } },
    });
    p.initiate();
    p.net.runUntil(() => p.established() || eventsOf(p.win, 'auth-failed').length > 0, 15_000);
    if (!c.fails) {
      t.true(p.established(), `${label}: established`);
      continue;
    }
    const e = eventsOf(p.win, 'auth-failed')[0];
    t.truthy(e, `${label}: refused`);
    t.regex(e!.text, c.fails, label);
    t.regex(e!.text, /Windows error 13801 ERROR_IPSEC_IKE_AUTH_FAIL/, label);
    t.is(e!.data?.clientError, 13801, label);
    t.is(p.win.engine.ikeSas().length, 0, `${label}: no SA left on the client`);
  }
});

test('checkServerCertificate: an IKE-intermediate EKU next to serverAuth is harmless, names compare case-insensitively, an address counts as a dNSName', (t) => {
  t.is(checkServerCertificate(certFile('windows/vpn-rsa'), { serverName: 'vpn.flexlab.test' }), undefined);
  t.is(checkServerCertificate(certFile('windows/vpn-rsa'), { serverName: 'VPN.flexlab.TEST' }), undefined, 'names compare case-insensitively');
  t.is(checkServerCertificate(certFile('windows/vpn-rsa'), { serverName: '198.51.100.1' }), undefined, 'an address as a dNSName SAN');
  const v = checkServerCertificate(certFile('windows/vpn-ipsan-rsa'), { serverName: '198.51.100.1' });
  t.is(v?.clientError?.code, 13801);
});

// ------------------------------------------------------------------------------ rekeying

test('behind a NAT the client refuses the hub\'s CHILD rekey with MS_NOTIFY_STATUS (Win32 13863); the hub keeps the SA; without a NAT the rekey is accepted', (t) => {
  const p = winPair({ nat: true });
  p.up();
  t.true(p.win.engine.ikeSas()[0]!.nat.local, 'the client knows it is behind a NAT');
  const hubChild = p.hub.engine.ikeSas()[0]!.children[0]!;
  t.true(p.hub.engine.rekeyChild(hubChild.id, p.net.now));
  p.net.settle(500);
  const refused = eventsOf(p.win, 'child-rekey-refused')[0];
  t.truthy(refused);
  t.is(refused!.data?.win32Error, 13863);
  const hubEv = eventsOf(p.hub, 'child-rekey-refused')[0];
  t.truthy(hubEv, 'the hub logs the refusal');
  t.is(hubEv!.data?.notify, 'MS_NOTIFY_STATUS');
  t.is(hubEv!.data?.win32Error, 13863);
  t.regex(hubEv!.text, /Win32 error 13863.*keeping it/);
  const after = p.hub.engine.ikeSas()[0]!.children;
  t.is(after.length, 1);
  t.is(after[0]!.spiIn, hubChild.spiIn, 'the old CHILD SA stays in use');
  t.is(p.win.engine.ikeSas()[0]!.children[0]!.spiOut, hubChild.spiIn);
  // The rekey response on the wire carries just that notify.
  const resp = sentMessages(p.win).filter((m) => m.exchange === ExchangeType.CREATE_CHILD_SA && m.response)[0]!;
  t.deepEqual(names(resp.payloads), ['N(MS_NOTIFY_STATUS)']);
  t.is((resp.payloads[0] as NotifyPayload).data.readUInt32BE(0), 13863);

  const q = winPair({ seed: 'no-nat' });
  q.up();
  const c = q.hub.engine.ikeSas()[0]!.children[0]!;
  t.true(q.hub.engine.rekeyChild(c.id, q.net.now));
  q.net.settle(3000);
  t.is(eventsOf(q.win, 'child-rekey-refused').length, 0);
  t.not(q.hub.engine.ikeSas()[0]!.children[0]!.spiIn, c.spiIn, 'rekeyed');
  t.is(q.win.engine.ikeSas()[0]!.children.length, 1, 'the old SA deleted by the hub is not re-created: it was replaced');
  t.false(q.win.events.some((e) => /creating a new one/.test(e.text)));
});

test('after a refused rekey the hub deletes the CHILD SA at its hard lifetime and the client creates a new one', (t) => {
  const p = winPair({ nat: true, hub: { ipsecLifetime: 60 } });
  p.up();
  const first = p.hub.engine.ikeSas()[0]!.children[0]!;
  p.net.runUntil(() => eventsOf(p.win, 'child-installed').length >= 2, 120_000);
  t.true(eventsOf(p.hub, 'child-rekey-refused').length >= 1, 'the soft-lifetime rekey was refused');
  t.truthy(p.win.events.find((e) => e.type === 'info' && /deleted our last CHILD SA .* creating a new one/.test(e.text)));
  p.net.settle(100);
  const hubChildren = p.hub.engine.ikeSas()[0]!.children;
  t.is(hubChildren.length, 1);
  t.not(hubChildren[0]!.spiIn, first.spiIn);
  t.is(p.win.engine.ikeSas()[0]!.children.length, 1);
  t.true(p.win.engine.ikeSas()[0]!.children[0]!.initiator, 'the client created it');
});

test('volume rekey: the client\'s CHILD SA rekeys after 200 MiB (its soft byte limit), configurable; the hub accepts the client\'s rekey', (t) => {
  const p = winPair();
  p.up();
  const installed = [...p.win.installed.values()][0]!;
  t.is(installed.softBytes, 200 * 1024 * 1024);
  t.is([...p.hub.installed.values()][0]!.softBytes, Math.floor(4608000 * 1024 * 0.9), 'the hub keeps its own volume lifetime');
  // The data plane reports the soft volume limit: the client rekeys.
  const child = p.win.engine.ikeSas()[0]!.children[0]!;
  p.win.engine.childSaExpired(child.id, 'soft', p.net.now);
  p.net.settle(3000);
  const now = p.win.engine.ikeSas()[0]!.children;
  t.is(now.length, 1);
  t.not(now[0]!.spiIn, child.spiIn);
  t.is(eventsOf(p.hub, 'child-rekey-refused').length, 0);
  const rekeyReq = requests(sentMessages(p.win), ExchangeType.CREATE_CHILD_SA)[0]!;
  t.deepEqual(names(rekeyReq.payloads), ['N(REKEY_SA)', 'SA', 'NONCE', 'TSi', 'TSr'], 'no KE (no PFS), no TFC/NFFA notifies');

  const q = winSetup(winConfig({ 'rekey-data-mib': 50 }));
  t.is(q.profiles[0]!.ipsec.rekeyAfterBytes, 50 * 1024 * 1024);
  t.is(winSetup(winConfig({ 'rekey-data-mib': 0 })).profiles[0]!.ipsec.rekeyAfterBytes, undefined);
});

// ------------------------------------------------------------------------------ routing and config

test('routing: no routes from narrowed selectors, the classful network of the virtual address, Add-VpnConnectionRoute prefixes', (t) => {
  const s = winSetup(winConfig({ routes: ['10.2.0.0/24'] }));
  t.is(s.tunnel!.routesFromSelectors, false);
  t.true(s.tunnel!.classfulRoute);
  t.false(s.tunnel!.routeAccept, 'INTERNAL_IP4_SUBNET is not routed by default');
  t.deepEqual(s.tunnel!.routes, ['10.2.0.0/24']);
  t.is(classfulPrefix('10.10.0.7'), '10.0.0.0/8');
  t.is(classfulPrefix('172.16.5.4'), '172.16.0.0/16');
  t.is(classfulPrefix('192.168.10.5'), '192.168.10.0/24');
  t.is(classfulPrefix('224.0.0.1'), undefined);
  t.is(classfulPrefix('2001:db8::1'), undefined);
});

test('persona settings: window 1, fragment size as UDP payload, rekey refusal switch, persona facts', (t) => {
  const s = winSetup(winConfig());
  t.is(s.persona, 'windows');
  t.is(s.settings.window, 1);
  t.is(s.settings.fragmentationMtu, 580 + 28);
  t.deepEqual(s.settings.refuseChildRekeyBehindNat?.notify, NotifyType.MS_NOTIFY_STATUS);
  t.is(s.settings.refuseChildRekeyBehindNat?.data.readUInt32BE(0), 13863);
  t.is(s.personaFacts?.server, '192.0.2.1');
  t.is(winSetup(winConfig({ 'fragment-size': 0 })).settings.fragmentationMtu, undefined, 'Windows before 1803: no RFC 7383');
  t.is(winSetup(winConfig({ 'refuse-rekey-behind-nat': false })).settings.refuseChildRekeyBehindNat, undefined);
  t.is(s.connection!.remote.address, '192.0.2.1');
  t.is(winSetup(winConfig({ server: 'vpn.flexlab.test', address: '198.51.100.1' })).connection!.remote.address, '198.51.100.1');
});

test('config errors name the key: EAP without a user, a name without address, identity modes that do not fit the method', (t) => {
  const err = (c: Record<string, unknown>) => {
    try {
      winSetup(winConfig(c));
    } catch (e) {
      return { message: (e as Error).message, path: (e as { path?: string[] }).path };
    }
    return undefined;
  };
  t.like(err({ username: undefined }), { message: 'EAP-MSCHAPv2 needs username and password', path: ['username'] });
  t.like(err({ server: 'vpn.flexlab.test' }), { path: ['address'] });
  t.like(err({ identity: 'dn' }), { message: 'identity dn needs machine-certificate authentication', path: ['identity'] });
  t.like(err({ identity: 'email' }), { path: ['identity'] });
  t.like(err({ authentication: 'machine-certificate' }), { path: ['pki'] });
  t.like(err({ 'ipsec-configuration': { 'encryption-method': 'DES', 'integrity-check-method': 'SHA1', 'dh-group': 'Group2', 'cipher-transform-constants': 'AES128', 'authentication-transform-constants': 'SHA196' } }), { path: ['ipsec-configuration', 'encryption-method'] });
});
