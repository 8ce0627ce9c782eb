// The windows-client kind in topology files: its config schema and the persona's own checks report
// file, line and path like every other topology error; a valid node loads.

import test from 'ava';
import { TopologyError } from '../labs/topology/diagnostics.ts';
import { parseTopology } from '../labs/topology/load.ts';
import { WIN_PKI } from './helpers/windows.ts';

function topo(config: string): string {
  return `name: win-topo
topology:
  nodes:
    win:
      kind: windows-client
      config:
${config.split('\n').map((l) => `        ${l}`).join('\n')}
      interfaces:
        eth1: { type: dummy, ipv4: 203.0.113.1/28 }
`;
}

function errors(text: string): string[] {
  try {
    parseTopology(text, 'win.yaml');
  } catch (e) {
    if (!(e instanceof TopologyError)) throw e;
    return e.message.split('\n').slice(0, -1);
  }
  return [];
}

const base = `server: 198.51.100.1
username: alice
password: alice-pass-1
pki: { ca: ${WIN_PKI}ca.cert.pem }`;

test('a valid windows-client node loads', (t) => {
  const { lab } = parseTopology(topo(`${base}\nnegotiate-dh2048-aes256: 1\nroutes: [192.168.10.0/24]`), 'win.yaml');
  t.is(lab.nodes.find((n) => n.name === 'win')?.kind, 'windows-client');
});

test('schema errors: unknown key with a suggestion, a value outside the enum, Microsoft value names', (t) => {
  t.deepEqual(errors(topo(`${base}\nusrname: bob`)), ['win.yaml:11:9: topology.nodes.win.config.usrname: unknown key "usrname" (did you mean "username"?)']);
  const e = errors(topo(`${base}\nauthentication: machine-cert`));
  t.is(e.length, 1);
  t.regex(e[0]!, /^win\.yaml:11:25: topology\.nodes\.win\.config\.authentication: expected one of "eap-mschapv2", "machine-certificate"/);
  const m = errors(topo(`${base}\nipsec-configuration: { encryption-method: AES512, integrity-check-method: SHA1, dh-group: Group2, cipher-transform-constants: AES128, authentication-transform-constants: SHA196 }`));
  t.is(m.length, 1);
  t.regex(m[0]!, /^win\.yaml:11:\d+: topology\.nodes\.win\.config\.ipsec-configuration\.encryption-method: expected one of "DES", "DES3", "AES128"/);
});

test('persona checks point at the key: an identity mode that needs a certificate, a server name without an address', (t) => {
  t.deepEqual(errors(topo(`${base}\nidentity: dn`)), ['win.yaml:11:19: topology.nodes.win.config.identity: identity dn needs machine-certificate authentication']);
  const e = errors(topo(base.replace('server: 198.51.100.1', 'server: vpn.flexlab.test')));
  t.is(e.length, 1);
  t.regex(e[0]!, /topology\.nodes\.win\.config(\.address)?: server "vpn\.flexlab\.test" is a name: give the address it resolves to in "address"/);
});
