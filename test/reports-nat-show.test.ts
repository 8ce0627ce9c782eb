// `show ip nat translations` from conntrack output (F-SRV-09): translated flows only, IOS columns.

import test from 'ava';
import { parseConntrack, showNatTranslations } from '../reports/nat-show.ts';

// Captured from the hub of topologies/flexvpn-ra-nat.yaml (the IKE flows are not translated).
const CONNTRACK = [
  'udp      17 118 src=203.0.113.1 dst=198.51.100.1 sport=4500 dport=4500 src=198.51.100.1 dst=203.0.113.1 sport=4500 dport=4500 [ASSURED] mark=0 use=1',
  'icmp     1 28 src=192.168.10.1 dst=192.0.2.10 type=8 code=0 id=21453 src=192.0.2.10 dst=198.51.100.1 type=0 code=0 id=21453 mark=0 use=1',
  'tcp      6 431999 ESTABLISHED src=192.168.10.1 dst=192.0.2.10 sport=40000 dport=5201 src=192.0.2.10 dst=198.51.100.1 sport=5201 dport=61000 [ASSURED] mark=0 use=1',
  'conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown.',
].join('\n');

test('translated flows become IOS rows; untranslated ones and the summary line are skipped', (t) => {
  const list = parseConntrack(CONNTRACK);
  t.deepEqual(list, [
    { protocol: 'icmp', insideLocal: '192.168.10.1:21453', insideGlobal: '198.51.100.1:21453', outsideLocal: '192.0.2.10:21453', outsideGlobal: '192.0.2.10:21453' },
    { protocol: 'tcp', insideLocal: '192.168.10.1:40000', insideGlobal: '198.51.100.1:61000', outsideLocal: '192.0.2.10:5201', outsideGlobal: '192.0.2.10:5201' },
  ]);
  const text = showNatTranslations(list).split('\n');
  t.regex(text[0]!, /^Pro\s+Inside global\s+Inside local\s+Outside local\s+Outside global$/);
  t.regex(text[1]!, /^icmp 198\.51\.100\.1:21453\s+192\.168\.10\.1:21453\s+192\.0\.2\.10:21453\s+192\.0\.2\.10:21453$/);
  t.is(text.at(-1), 'Total number of translations: 2');
});
