// The strongswan kind without a lab: strongswan.conf and swanctl.conf generated from a config block,
// swanctl --list-sas --pretty parsed into our SessionView shape, config errors located in the
// topology file, and Wireshark key tables rebuilt from charon's level-4 log equal to the ones our
// own daemon exported for the same SAs (two implementations deriving the same keys; the logs come
// from interop matrix runs: an IKE rekey by each side, a CHILD rekey by each side).

import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyDefaults } from '../interop/strongswan/config.ts';
import type { StrongswanConfig } from '../interop/strongswan/config.ts';
import { renderStrongswanConf, renderSwanctlConf, timeSeconds } from '../interop/strongswan/render.ts';
import { strongswanPaths } from '../interop/strongswan/paths.ts';
import { parsePretty, toSessionViews } from '../interop/strongswan/swanctl.ts';
import type { CharonSa, VtSection } from '../interop/strongswan/swanctl.ts';
import { charonKeyTableLines, parseCharonKeyLog } from '../interop/strongswan/keylog.ts';
import { parseTopology } from '../labs/topology/load.ts';
import { TopologyError } from '../labs/topology/diagnostics.ts';
import type { NodeModel } from '../labs/model.ts';

const FIX = join(import.meta.dirname, 'fixtures', 'strongswan');
const lines = (f: string) => readFileSync(f, 'utf8').split('\n').filter(Boolean).sort();

function node(config: Record<string, unknown>): NodeModel {
  return {
    name: 'charon', kind: 'strongswan', netns: 'flx-x-charon', routes: [], sysctls: {}, exec: [], env: {}, labels: {}, config,
    interfaces: [{ name: 'eth1', type: 'veth', addresses: [{ family: 4, address: '198.51.100.2', prefix: 24, cidr: '198.51.100.2/24', subnet: '198.51.100.0/24' }] }],
  };
}

const CONFIG = {
  charon: { fragment_size: 576, retransmit_timeout: 1, cookie_threshold: 0 },
  radius: { servers: [{ address: '198.19.0.2', secret: 'pr-radius-secret' }], accounting: true },
  connections: {
    rw: {
      proposals: 'aes256-sha256-modp2048',
      psk: 'a "quoted" secret',
      dpd_delay: 5,
      local: { auth: 'psk', id: 'C=ZZ, O=flexlab-test, CN=hub.flexlab.test' },
      remote: { auth: 'psk', id: '%any' },
      children: { net: { local_ts: '10.2.0.0/24', remote_ts: ['10.1.0.0/24', '10.3.0.0/24'], esp_proposals: 'aes128gcm16', rekey_time: '1h' } },
    },
  },
};

test('strongswan.conf: kernel-libipsec before kernel-netlink, kdf, eap-radius, private vici socket, settings', (t) => {
  const n = node(structuredClone(CONFIG));
  applyDefaults(n);
  const paths = strongswanPaths('/tmp/state/lab', '/tmp/out/lab', 'charon');
  const conf = renderStrongswanConf(n.config as unknown as StrongswanConfig, paths, 'charon');
  const load = /load = "([^"]+)"/.exec(conf)![1]!.split(' ');
  t.true(load.indexOf('kernel-libipsec') < load.indexOf('kernel-netlink'), 'libipsec registers first and becomes the kernel-ipsec backend');
  t.true(load.includes('kdf'), 'prf+ lives in kdf in 5.9.8');
  t.true(load.includes('eap-radius'));
  t.regex(conf, /load_modular = no/);
  t.regex(conf, /socket = unix:\/\/\/run\/charon\.vici/, 'charon binds inside its private /run');
  t.regex(conf, /swanctl \{\n  socket = unix:\/\/\/tmp\/state\/lab\/charon\.charon\/charon\.vici\n\}/, 'swanctl reaches it from the host');
  t.regex(conf, /fragment_size = 576/);
  t.regex(conf, /cookie_threshold = 0/);
  t.regex(conf, /path = \/tmp\/out\/lab\/logs\/charon\.charon-keys\.log[\s\S]*ike = 4[\s\S]*chd = 4/);
  t.regex(conf, /accounting_requires_vip = yes/);
});

test('swanctl.conf: connection, children, DN identities quoted, the PSK as a secret', (t) => {
  const n = node(structuredClone(CONFIG));
  applyDefaults(n);
  const { text, files } = renderSwanctlConf(n.config as unknown as StrongswanConfig, '/topo', 'charon');
  t.deepEqual(files, []);
  t.regex(text, /rw \{\n\s+version = 2\n\s+local_addrs = 198\.51\.100\.2\n/, 'local_addrs defaults to the node address');
  t.regex(text, /proposals = aes256-sha256-modp2048/);
  t.regex(text, /dpd_delay = 5s/);
  t.regex(text, /id = "C=ZZ, O=flexlab-test, CN=hub\.flexlab\.test"/);
  t.regex(text, /remote_ts = 10\.1\.0\.0\/24, 10\.3\.0\.0\/24/);
  t.regex(text, /start_action = none/);
  t.regex(text, /rekey_time = 1h/);
  // A wildcard remote makes a wildcard secret (charon looks keys up before it knows its own id).
  t.regex(text, /ike-rw \{\n\s+secret = "a \\"quoted\\" secret"\n/);
  t.is(timeSeconds('1h'), 3600);
  t.is(timeSeconds(5), 5);
});

test('certificates and keys are copied into swanctl/x509, x509ca and private under unique names', (t) => {
  const cfg = {
    connections: {
      c: {
        local: { auth: 'pubkey', certs: ['a/hub.pem'], key: 'a/hub.key' },
        remote: { auth: 'pubkey', cacerts: ['a/ca.pem', 'b/ca.pem'] },
        children: { net: {} },
      },
    },
  };
  const n = node(cfg);
  applyDefaults(n);
  const { text, files } = renderSwanctlConf(n.config as unknown as StrongswanConfig, '/topo', 'charon');
  t.deepEqual(files, [
    { src: '/topo/a/hub.pem', dest: 'x509/hub.pem' }, { src: '/topo/a/hub.key', dest: 'private/hub.key' },
    { src: '/topo/a/ca.pem', dest: 'x509ca/ca.pem' }, { src: '/topo/b/ca.pem', dest: 'x509ca/2-ca.pem' },
  ]);
  t.regex(text, /certs = hub\.pem/);
  t.regex(text, /cacerts = ca\.pem, 2-ca\.pem/);
});

const PRETTY = `list-sa event {
  net {
    uniqueid = 3
    version = 2
    state = ESTABLISHED
    local-host = 198.51.100.2
    local-port = 4500
    local-id = C=ZZ, O=flexlab-test, CN=hub.flexlab.test
    remote-host = 192.0.2.1
    remote-port = 4500
    remote-id = spoke1.flexlab.test
    initiator-spi = 96dfc2cf53d7e5f0
    responder-spi = 2ceff5f6d272ac4c
    nat-remote = yes
    nat-any = yes
    encr-alg = AES_CBC
    encr-keysize = 256
    integ-alg = HMAC_SHA2_256_128
    prf-alg = PRF_HMAC_SHA2_256
    dh-group = MODP_2048
    established = 12
    rekey-time = 13025
    child-sas {
      net-5 {
        name = net
        uniqueid = 5
        reqid = 1
        state = INSTALLED
        mode = TUNNEL
        protocol = ESP
        encap = yes
        spi-in = afaf52a2
        spi-out = 71c24906
        encr-alg = AES_GCM_16
        encr-keysize = 128
        bytes-in = 840
        packets-in = 10
        bytes-out = 420
        packets-out = 5
        rekey-time = 3431
        life-time = 3960
        install-time = 7
        local-ts = [
          10.2.0.0/24
        ]
        remote-ts = [
          10.1.0.0/24
          10.3.0.0/24
        ]
      }
    }
  }
}
list-sas reply {
}
`;

test('swanctl --list-sas --pretty: parsed (DN with spaces and commas intact) and mapped onto SessionView', (t) => {
  const msgs = parsePretty(PRETTY);
  t.deepEqual(msgs.map((m) => m.name), ['list-sa event', 'list-sas reply']);
  const sa = msgs[0]!.body['net'] as VtSection;
  t.is(sa['local-id'], 'C=ZZ, O=flexlab-test, CN=hub.flexlab.test');
  const n = node(structuredClone(CONFIG));
  applyDefaults(n);
  const sas: CharonSa[] = [{ conn: 'net', sa }];
  const [v] = toSessionViews(sas, { ...(n.config as unknown as StrongswanConfig), connections: { net: (n.config as unknown as StrongswanConfig).connections['rw']! } }, '/topo', 1_000_000);
  t.is(v!.id, 3);
  t.is(v!.status, 'READY');
  t.false(v!.initiator);
  t.is(v!.localSpi, '2ceff5f6d272ac4c');
  t.is(v!.remoteSpi, '96dfc2cf53d7e5f0');
  t.deepEqual([v!.encr, v!.keysize, v!.prf, v!.hash, v!.dhGroup], ['AES-CBC', 256, 'SHA256', 'SHA256', 14]);
  t.is(v!.localIdType, 'dn');
  t.is(v!.remoteIdType, 'fqdn');
  t.is(v!.authSign, 'PSK');
  t.deepEqual(v!.dpd, { interval: 5, retries: 5, mode: 'periodic' });
  t.true(v!.nat.encapsulated);
  const c = v!.children[0]!;
  t.is(c.suite, 'esp-gcm 128');
  t.deepEqual([c.spiIn, c.spiOut], ['afaf52a2', '71c24906']);
  t.deepEqual(c.remoteTs, ['10.1.0.0/24', '10.3.0.0/24']);
  t.deepEqual([c.counters!.packetsIn, c.counters!.bytesOut], [10, 420]);
  t.is(c.lifetimeSeconds, 3967);
  t.is(c.installedAt, 1_000_000 - 7000);
});

test('key tables from charon\'s level-4 log equal our daemon\'s for the same SAs (IKE rekeys by both sides)', (t) => {
  const log = readFileSync(join(FIX, 'ike-rekey', 'charon-keys.log'), 'utf8');
  const ours = { ikev2: lines(join(FIX, 'ike-rekey', 'ikev2_decryption_table')), esp: lines(join(FIX, 'ike-rekey', 'esp_sa')) };
  // Without help only the IKE SA of IKE_SA_INIT has SPIs in the log (NAT-D input).
  const alone = charonKeyTableLines(parseCharonKeyLog(log));
  t.is(alone.ikev2.length, 1);
  t.true(ours.ikev2.includes(alone.ikev2[0]!));
  t.deepEqual(alone.esp.sort(), ours.esp, 'CHILD SA keys, SPIs and outer addresses: both directions');
  // With the SPIs swanctl reports for the two rekeyed SAs (unique ids 2 and 3), every line matches.
  const spi = (l: string) => ({ spiI: l.split(',')[0]!, spiR: l.split(',')[1]! });
  const byOrder = readFileSync(join(FIX, 'ike-rekey', 'ikev2_decryption_table'), 'utf8').split('\n').filter(Boolean);
  const full = charonKeyTableLines(parseCharonKeyLog(log, new Map([[2, spi(byOrder[1]!)], [3, spi(byOrder[2]!)]])));
  t.deepEqual(full.ikev2.sort(), ours.ikev2);
});

test('key tables from charon\'s level-4 log: CHILD rekeys by both sides, directions right', (t) => {
  const log = readFileSync(join(FIX, 'child-rekey', 'charon-keys.log'), 'utf8');
  const got = charonKeyTableLines(parseCharonKeyLog(log));
  t.deepEqual(got.esp.sort(), lines(join(FIX, 'child-rekey', 'esp_sa')));
  t.deepEqual(got.ikev2.sort(), lines(join(FIX, 'child-rekey', 'ikev2_decryption_table')));
});

test('strongswan config errors are located in the topology file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'flexlab-ssw-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const yaml = [
    'name: badssw',
    'topology:',
    '  nodes:',
    '    c:',
    '      kind: strongswan',
    '      config:',
    '        connections:',
    '          net:',
    '            local: { auth: pubkey, certs: [missing.pem], key: missing.key }',
    '            remote: { auth: psk }',
    '            children: { net: { esp_proposal: aes128gcm16 } }',
    '      interfaces: { eth1: { type: dummy, ipv4: 192.0.2.1/24 } }',
  ].join('\n');
  const e1 = t.throws(() => parseTopology(yaml, join(dir, 'bad.yaml'), { sourceFile: join(dir, 'bad.yaml') }), { instanceOf: TopologyError });
  t.regex(e1!.message, /bad\.yaml:11:\d+: .*children\.net.*esp_proposal/);
  const fixed = yaml.replace('esp_proposal:', 'esp_proposals:');
  const e2 = t.throws(() => parseTopology(fixed, join(dir, 'bad.yaml'), { sourceFile: join(dir, 'bad.yaml') }), { instanceOf: TopologyError });
  t.regex(e2!.message, /bad\.yaml:9:\d+: .*certs\[0\].*missing\.pem does not exist/);
  t.regex(e2!.message, /auth = psk needs a pre-shared key/);
});
