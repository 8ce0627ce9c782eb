// The AnyConnect persona outside the IKE exchange: its XML profile (host entries, auth method,
// auto-reconnect; errors with file and line), the client's checks of the headend certificate, and
// the IOS configuration rules of F-AUTH-14 as topology errors with file, line and path.

import test from 'ava';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseAnyConnectProfile, AnyConnectProfileError } from '../engine/personas/anyconnect-profile.ts';
import { checkHeadendCertificate } from '../engine/personas/anyconnect.ts';
import { TopologyError } from '../labs/topology/diagnostics.ts';
import { parseTopology } from '../labs/topology/load.ts';

const PKI = fileURLToPath(new URL('fixtures/pki/', import.meta.url));
const cert = (name: string) => new X509Certificate(readFileSync(`${PKI}anyconnect/${name}.cert.pem`));
const SEED_PROFILE = fileURLToPath(new URL('../topologies/anyconnect/acvpn.xml', import.meta.url));

test('the seed 003 profile: host VPN IOS-XE, vpn.example.com, IPsec with EAP-AnyConnect, ReconnectAfterResume', (t) => {
  const p = parseAnyConnectProfile(readFileSync(SEED_PROFILE, 'utf8'), 'acvpn.xml');
  t.deepEqual(p.hosts, [{ hostName: 'VPN IOS-XE', hostAddress: 'vpn.example.com', primaryProtocol: 'IPsec', standardAuthenticationOnly: true, authMethod: 'EAP-AnyConnect' }]);
  t.deepEqual(p.autoReconnect, { enabled: true, behavior: 'ReconnectAfterResume', userControllable: false });
  t.regex(p.sha1, /^[0-9A-F]{40}$/);
});

test('a profile with IKEIdentity and a standard EAP method; AutoReconnect off', (t) => {
  const xml = `<AnyConnectProfile><ClientInitialization><AutoReconnect>false</AutoReconnect></ClientInitialization>
<ServerList><HostEntry><HostName>vpn1</HostName><HostAddress>vpn1.cisco.com</HostAddress><PrimaryProtocol>IPsec
<StandardAuthenticationOnly>true<AuthMethodDuringIKENegotiation>EAP-MSCHAPv2</AuthMethodDuringIKENegotiation><IKEIdentity>cisco.com</IKEIdentity></StandardAuthenticationOnly>
</PrimaryProtocol></HostEntry><HostEntry><HostName>vpn2</HostName><HostAddress>vpn2.cisco.com</HostAddress></HostEntry></ServerList></AnyConnectProfile>`;
  const p = parseAnyConnectProfile(xml);
  t.is(p.hosts[0]!.authMethod, 'EAP-MSCHAPv2');
  t.is(p.hosts[0]!.ikeIdentity, 'cisco.com');
  t.is(p.hosts[1]!.primaryProtocol, 'SSL', 'no PrimaryProtocol: SSL');
  t.false(p.autoReconnect.enabled);
  t.is(p.autoReconnect.behavior, 'DisconnectOnSuspend', 'the default behaviour');
});

test('profile errors name the file and line', (t) => {
  const e = t.throws(() => parseAnyConnectProfile('<AnyConnectProfile>\n<ServerList>\n</AnyConnectProfile>', 'bad.xml'), { instanceOf: AnyConnectProfileError });
  t.regex(e!.message, /^bad\.xml:\d+:\d+: /);
  t.throws(() => parseAnyConnectProfile('<Other/>', 'x.xml'), { message: /root element must be <AnyConnectProfile>/ });
  t.throws(() => parseAnyConnectProfile('<AnyConnectProfile><ServerList><HostEntry><HostName>a</HostName><PrimaryProtocol>IPsec<StandardAuthenticationOnly>true<AuthMethodDuringIKENegotiation>EAP-FOO</AuthMethodDuringIKENegotiation></StandardAuthenticationOnly></PrimaryProtocol></HostEntry></ServerList></AnyConnectProfile>', 'y.xml'), { message: /"EAP-FOO" is none of/ });
});

test('headend certificate checks: names in the SAN, Server Authentication in the EKU', (t) => {
  t.is(checkHeadendCertificate(cert('headend-rsa'), 'vpn.example.com'), undefined);
  t.is(checkHeadendCertificate(cert('headend-rsa'), '192.0.2.1'), undefined, 'an iPAddress SAN is fine for AnyConnect');
  t.regex(checkHeadendCertificate(cert('headend-other-rsa'), 'vpn.example.com')!.reason, /do not include "vpn\.example\.com"/);
  t.regex(checkHeadendCertificate(cert('headend-noeku-rsa'), 'vpn.example.com')!.reason, /lacks Server Authentication/);
  t.is(checkHeadendCertificate(cert('headend-noeku-rsa'), 'vpn.example.com', false), undefined, 'strict-certificate-trust off');
});

function hub(profile: string): string {
  return `name: ac-rules
topology:
  nodes:
    hub:
      kind: flexvpn-hub
      config:
        profiles:
          - name: p1
${profile.split('\n').map((l) => `            ${l}`).join('\n')}
      interfaces:
        eth1: { type: dummy, ipv4: 192.0.2.1/24 }
`;
}

function errors(text: string): string[] {
  try {
    parseTopology(text, 'rules.yaml');
  } catch (e) {
    if (!(e instanceof TopologyError)) throw e;
    return e.message.split('\n').slice(0, -1);
  }
  return [];
}

const CERT = `pki: { certificate: ${PKI}anyconnect/headend-rsa.cert.pem, key: ${PKI}anyconnect/headend-rsa.key.pem, ca: ${PKI}ca.cert.pem }`;

test('F-AUTH-14: reconnect is refused with a keyring or PSK authentication (IOS message)', (t) => {
  const e = errors(hub(`${CERT}\nauthentication: { local: rsa-sig, remote: pre-share }\npre-shared-key: k\nreconnect: { timeout: 600 }`));
  t.is(e.length, 1);
  t.regex(e[0]!, /^rules\.yaml:\d+:\d+: .*Reconnect can not be configured if either Keyring, PSK authentication or PSK authorization enabled in profile\./);
});

test('F-AUTH-14: remote EAP or AnyConnect-EAP needs a certificate-based local method', (t) => {
  const e = errors(hub('authentication: { local: pre-share, remote: anyconnect-eap }\npre-shared-key: k\nanyconnect: { aaa: radius }'));
  t.is(e.length, 1);
  t.regex(e[0]!, /For remote auth method to be EAP, the local auth method must be certificate-based/);
});

test('an AnyConnect-EAP profile loads; a typo in its block is reported with its path', (t) => {
  t.deepEqual(errors(hub(`${CERT}\nauthentication: { local: rsa-sig, remote: anyconnect-eap }\nanyconnect: { aaa: local, users: { test: cisco123 } }\nreconnect: { timeout: 600, dpd-interval: 30 }`)), []);
  const e = errors(hub(`${CERT}\nauthentication: { local: rsa-sig, remote: anyconnect-eap }\nanyconnect: { aaa: local, cert-requst: true }`));
  t.is(e.length, 1);
  t.regex(e[0]!, /anyconnect\.cert-requst|cert-requst/);
});
