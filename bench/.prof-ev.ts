import { IkeEngine } from '../engine/ike/engine.ts';
import { defaultIpsecProfile, parseTransformSet } from '../engine/ike/config.ts';
import type { Ikev2Profile, TransformSet } from '../engine/ike/config.ts';
import { tsFromCidr } from '../engine/ike/traffic-selectors.ts';
import { buildRoleSetup } from '../engine/roles/config.ts';
const ts = parseTransformSet('lg', 'esp-gcm 128', 'tunnel') as TransformSet;
const ipsec = { ...defaultIpsecProfile(), transformSets: [ts] };
const lgp = (i: number): Ikev2Profile => ({ name: `lg${i}`, matchRemote: [{ type: 'fqdn', value: 'hub.load.flexlab.test' }], localIdentity: { type: 'fqdn', value: `lg-${i}.load.flexlab.test` },
  authLocal: 'pre-share', authRemote: ['pre-share'], keyring: { name: 'k', peers: [{ name: 'any', address: '0.0.0.0/0', preSharedKey: 'flexlab-bench-psk-0123' }] }, trustedCas: [],
  policy: { name: 'p', proposals: [{ name: 'lg', encryption: ['aes-cbc-128'], integrity: ['sha256'], group: [31] }] }, lifetime: 86400, ipsec, configMode: { requestAddress: true },
  localTs: [tsFromCidr('0.0.0.0/0')], remoteTs: [tsFromCidr('10.2.0.0/24')] });
export const hubSetup = () => buildRoleSetup({ lab: 'x', node: 'hub', kind: 'flexvpn-hub', role: 'hub', config: {
  'pre-shared-key': 'flexlab-bench-psk-0123', identity: { fqdn: 'hub.load.flexlab.test' }, pool: '10.128.0.0/16',
  proposals: [{ encryption: 'aes-cbc-128', integrity: 'sha256', group: 31 }], 'transform-sets': ['esp-gcm 128'], 'traffic-selectors': { local: '10.2.0.0/24' }, 'cookie-threshold': 1000000 },
  baseDir: '.', stateDir: '/tmp', outDir: '/tmp', interfaces: [{ name: 'eth1', addresses: ['192.0.2.1/24'] }] } as any);
export function run(n: number, onResp?: (a: any) => void) {
  const hs = hubSetup();
  const resp = new IkeEngine({ name: 'hub', profiles: hs.profiles, settings: hs.settings, now: Date.now() });
  const init = new IkeEngine({ name: 'lg', settings: { window: 1, retransmitTimeout: 2, retransmitTries: 3, forceEncap: false } });
  let now = Date.now(); let est = 0;
  const deliver = (from: IkeEngine, to: IkeEngine) => { let moved = false; for (const a of from.pollActions()) { if (from === resp) onResp?.(a); if (a.type === 'send') { let data = a.datagram.data; to.handleDatagram({ local: a.datagram.remote, remote: a.datagram.local, data }, now); moved = true; } else if (a.type === 'install-child' && from === init) est++; } return moved; };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    init.initiate({ name: `lg${i}`, profile: lgp(i), local: { address: '192.0.2.10', port: 500 }, remote: { address: '192.0.2.1', port: 500 }, auto: false }, now);
    for (let k = 0; k < 10 && (deliver(init, resp) || deliver(resp, init)); k++);
    now++;
  }
  return { est, ms: performance.now() - t0, resp, init };
}
if (process.argv[1]?.endsWith('.prof-ev.ts')) {
  const types = new Map<string, number>(); let sends = 0, bytes = 0;
  const r = run(Number(process.argv[2] ?? 200), (a) => { if (a.type === 'event') types.set(a.event.type, (types.get(a.event.type) ?? 0) + 1); else types.set('action:' + a.type, (types.get('action:' + a.type) ?? 0) + 1); });
  console.log(r.est, r.ms.toFixed(0), 'ms', (r.ms / r.est).toFixed(3), 'ms/SA both sides');
  console.log(types);
}
