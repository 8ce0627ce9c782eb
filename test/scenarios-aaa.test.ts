// The AAA vocabulary of scenario files (issue 7): the `radius` action (RFC 5176 Disconnect/CoA from
// a lab node) and the `accounting`, `resolver`, ike-sa authorization/config and capture `radius`
// expectations load with one-line titles, and every mistake is reported at its line before
// anything runs. No lab: parsing only.

import test from 'ava';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScenario, ScenarioError } from '../scenarios/load.ts';
import { authorizationKey } from '../scenarios/aaa.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const here = path.join(ROOT, 'scenarios', 'test-aaa-inline.yaml');

function errorOf(text: string): string {
  try {
    parseScenario(text, here);
  } catch (e) {
    if (e instanceof ScenarioError) return e.message;
    throw e;
  }
  throw new Error('expected a ScenarioError');
}

const HEAD = `name: t
topology: ../topologies/flexvpn-aaa-radius.yaml
steps:
`;

test('radius actions and AAA expectations load, with titles that say what they do', (t) => {
  const sc = parseScenario(`${HEAD}  - initiate: spoke1
  - name: pod
    radius: { node: radius1, do: disconnect, nas: hub, audit-session-id: "from:hub", user: alice }
  - radius: { node: radius1, do: disconnect, nas: hub, audit-session-id: "from:pod", expect: nak, error-cause: 404, reply-message: "^No Matching Session$" }
  - radius: { node: radius2, do: coa, nas: 10.99.1.1, user: alice, attributes: { Cisco-AVPair: ["ip:interface-config=ip mtu 1200"] }, timeout: 500ms }
  - expect: { accounting: { node: radius1, user: alice, status: stop, since: pod, min-octets: 100, terminate-cause: Admin-Reset, audit-session-id: "from:pod" } }
  - expect: { resolver: { node: spoke1, servers: [10.0.1.1], split-dns: [corp.example] } }
  - expect: { ike-sa: { node: hub, remote-eap-id: alice, aaa-user: alice, authorization: { interface-config: { value: [ip mtu 1200], source: CoA }, pool-ipv6: { absent: true } }, config-assigned: { address: none, dns: [10.0.1.1] } } }
  - expect: { tunnel: { node: hub, peer: spoke1, mtu: 1200, derived-config: [ip mtu 1200], acls: ["ip:inacl#3=permit 1.1.1.1"] } }
  - expect: { capture: { link: hub--radius1, radius: { secret: s, dae-secret: d, codes: [Access-Request, Disconnect-NAK], attributes: [EAP-Message, Cisco-AVPair] } } }
`, here);
  const titles = sc.steps.map((s) => s.title);
  t.is(titles[1], 'radius1 sends a Disconnect-Request to hub (user alice, audit-session-id from:hub): expects ACK');
  t.is(titles[2], 'radius1 sends a Disconnect-Request to hub (audit-session-id from:pod): expects NAK');
  t.regex(titles[3]!, /^radius2 sends a CoA-Request to 10\.99\.1\.1 \(user alice\) with Cisco-AVPair: expects ACK$/);
  t.is(sc.steps[3]!.args['timeoutMs'], 500);
  t.is(titles[4], 'radius1 recorded an accounting Stop for "alice", at least 100 octets each way, cause Admin-Reset since "pod"');
  t.regex(titles[5]!, /^spoke1 resolver: DNS 10\.0\.1\.1, split DNS corp\.example$/);
  t.regex(titles[7]!, /hub tunnel towards spoke1 is up, MTU 1200, derived config \[ip mtu 1200\], ACLs ip:inacl#3=permit 1\.1\.1\.1/);
  t.regex(titles[8]!, /RADIUS decodes \(Access-Request, Disconnect-NAK\)/);
  t.is(sc.steps[1]!.kind, 'radius');
  t.is(sc.steps[4]!.kind, 'expect:accounting');
});

test('radius actions: the session must be named, a CoA needs attributes, secrets and references must exist', (t) => {
  const m = errorOf(`${HEAD}  - radius: { node: radius1, do: disconnect, nas: hub }
  - radius: { node: radius1, do: coa, nas: hub, user: alice }
  - radius: { node: spoke1, do: disconnect, nas: hub, user: alice }
  - radius: { node: radius1, do: disconnect, nas: hub, audit-session-id: "from:nowhere" }
  - radius: { node: radius1, do: disconnect, nas: hub, audit-session-id: "from:radius2" }
  - radius: { node: radius1, do: coa, nas: hub, user: alice, attributes: { Cisco-AV-Pair: x } }
`);
  t.regex(m, /:4:\d+: steps\[0\]\.radius: name the session: user, audit-session-id, session-id or framed-ip/);
  t.regex(m, /:5:\d+: steps\[1\]\.radius: a CoA-Request carries the new authorization: give attributes/);
  t.regex(m, /:6:\d+: steps\[2\]\.radius\.node: spoke1 is a flexvpn-spoke: give the DAE "secret" shared with the hub/);
  t.regex(m, /:7:\d+: steps\[3\]\.radius\.audit-session-id: "from:nowhere": nowhere is neither a node nor a named radius step before this one/);
  t.regex(m, /:8:\d+: steps\[4\]\.radius\.audit-session-id: "from:radius2": radius2 is a radius; sessions are read from a node running our daemon/);
  t.regex(m, /:9:\d+: steps\[5\]\.radius\.attributes\.Cisco-AV-Pair: unknown RADIUS attribute "Cisco-AV-Pair"/);
  t.regex(errorOf(`${HEAD}  - radius: { node: radius1, do: kill, nas: hub, user: alice }\n`), /:4:\d+: steps\[0\]\.radius\.do: expected one of "disconnect", "coa", got the string "kill"/);
});

test('AAA expectations: wrong node kinds, attribute names, RADIUS codes and regular expressions are located', (t) => {
  const m = errorOf(`${HEAD}  - expect: { accounting: { node: hub, user: alice } }
  - expect: { ike-sa: { node: hub, authorization: { interfaceconfig: { value: [] }, dns: { source: "(" } } } }
  - expect: { capture: { link: hub--radius1, radius: { secret: s, codes: [Access-Acept], attributes: [EAP-Msg] } } }
`);
  t.regex(m, /:4:\d+: steps\[0\]\.expect\.accounting\.node: node "hub" is a flexvpn-hub; accounting is read from a radius or freeradius node/);
  t.regex(m, /:5:\d+: steps\[1\]\.expect\.ike-sa\.authorization\.interfaceconfig: unknown authorization attribute "interfaceconfig" \(did you mean "interfaceConfig"\?\)/);
  t.regex(m, /:5:\d+: steps\[1\]\.expect\.ike-sa\.authorization\.dns\.source: not a regular expression/);
  t.regex(m, /:6:\d+: steps\[2\]\.expect\.capture\.radius\.codes\[0\]: unknown RADIUS code "Access-Acept" \(did you mean "Access-Accept"\?\)/);
  t.regex(m, /:6:\d+: steps\[2\]\.expect\.capture\.radius\.attributes\[0\]: unknown RADIUS attribute "EAP-Msg"/);
  const schema = errorOf(`${HEAD}  - expect: { accounting: { node: radius1, status: stopped } }\n  - expect: { tunnel: { node: hub, mtu: big } }\n`);
  t.regex(schema, /:4:\d+: steps\[0\]\.expect\.accounting\.status: expected one of "start", "stop", "interim", "any", got the string "stopped"/);
  t.regex(schema, /:5:\d+: steps\[1\]\.expect\.tunnel\.mtu: expected an integer/);
});

test('authorization attribute names: kebab-case, camelCase and the IOS words map to the session view keys', (t) => {
  t.is(authorizationKey('interface-config'), 'interfaceConfig');
  t.is(authorizationKey('interfaceConfig'), 'interfaceConfig');
  t.is(authorizationKey('route-set'), 'routeSetPrefixes');
  t.is(authorizationKey('pool-ipv6'), 'pool6');
  t.is(authorizationKey('split-dns'), 'splitDns');
  t.is(authorizationKey('tunnel-password'), 'tunnelPassword');
  t.is(authorizationKey('mtu'), undefined);
});
