// `flexlab show NODE ...`: the state of an IPsec node's daemon the way IOS show commands print it,
// or as JSON (`--json`) for scripts and assertions.
//   flexlab show hub ikev2 sa [detail]    (also: crypto ikev2 sa)
//   flexlab show hub ipsec sa
//   flexlab show hub session [detail]
//   flexlab show hub status | counters | events | pools
//   flexlab show hub ip access-lists | ip interface | policy-map interface   (CoA ACLs and QoS)
//   flexlab show hub ip nat translations    (the headend's NAT, from conntrack)
//   flexlab show client client           (a flexvpn-client: gateway list, active peer, decisions)

import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { labFromOptions } from '../lab-cli.ts';
import { controlPathOf } from '../../engine/daemon/daemon.ts';
import { controlRequest } from '../../engine/daemon/control.ts';
import { showIkev2Sa, showIpsecSa, showReconnectStats, showResumptionStats, showSession } from '../../reports/show.ts';
import type { SessionView } from '../../reports/show.ts';
import { showClient } from '../../reports/client-show.ts';
import { showAccessLists, showIpInterfaceAccess, showPolicyMapInterface } from '../../reports/interface-show.ts';
import type { TunnelStatus } from '../../scenarios/daemons.ts';
import { parseConntrack, showNatTranslations } from '../../reports/nat-show.ts';
import type { ClientShowData } from '../../reports/client-show.ts';
import { labStrongswanPaths, strongswanSessions } from '../../interop/strongswan/sessions.ts';
import { charonStats } from '../../interop/strongswan/swanctl.ts';

const VIEWS = ['ikev2 sa [detail]', 'ipsec sa', 'session [detail]', 'ikev2 stats reconnect', 'ikev2 stats resumption', 'ip access-lists', 'ip interface', 'policy-map interface', 'ip nat translations', 'status', 'counters', 'events', 'pools', 'client'];

export async function nodeControlPath(opts: { name?: string; topo?: string }, node: string): Promise<string> {
  const lab = labFromOptions(opts);
  lab.node(node); // throws a readable error for an unknown node
  return controlPathOf(lab.state.dir, node);
}

export function register(program: Command): void {
  program
    .command('show')
    .description(`show the state of an IPsec node: ${VIEWS.join(' | ')}`)
    .argument('<node>', 'node name')
    .argument('<what...>', 'view, e.g. "ikev2 sa detail", "ipsec sa", "session detail"')
    .option('--name <lab>', 'lab name (default: the only deployed lab)')
    .option('-t, --topo <file>', 'topology file naming the lab')
    .option('--json', 'structured output')
    .action(async (node: string, what: string[], opts: { name?: string; topo?: string; json?: boolean }) => {
      const words = what.map((w) => w.toLowerCase()).filter((w) => w !== 'crypto');
      const lab = labFromOptions(opts);
      // A strongswan node has no daemon of ours: its SAs come from charon over vici (swanctl).
      const charon = lab.node(node).kind === 'strongswan';
      const path = charon ? '' : await nodeControlPath(opts, node);
      const ikeSas = () => (charon ? strongswanSessions(lab, node) : controlRequest<SessionView[]>(path, 'ike-sas'));
      const detail = words.includes('detail') || words.includes('detailed');
      const key = words.filter((w) => w !== 'detail' && w !== 'detailed').join(' ');
      const print = (text: string, data: unknown) => console.log(opts.json ? JSON.stringify(data, null, 2) : text);
      switch (key) {
        case 'ikev2 sa': {
          const sas = await ikeSas();
          return print(showIkev2Sa(sas, detail), sas);
        }
        case 'ipsec sa': {
          const sas = await ikeSas();
          return print(showIpsecSa(sas), sas.flatMap((s) => s.children));
        }
        case 'session': {
          const sas = await ikeSas();
          return print(showSession(sas, detail), sas);
        }
        case 'ikev2 stats reconnect': case 'reconnect': {
          if (charon) throw new UserError('charon has no Cisco auto-reconnect');
          const r = await controlRequest<Parameters<typeof showReconnectStats>[0] & { sessions: unknown[] }>(path, 'reconnect');
          return print(showReconnectStats(r), r);
        }
        case 'ikev2 stats resumption': case 'resumption': {
          if (charon) throw new UserError('charon does not implement RFC 5723 session resumption');
          const r = await controlRequest<Parameters<typeof showResumptionStats>[0]>(path, 'resumption');
          return print(showResumptionStats(r), r);
        }
        case 'ip access-lists': case 'ip interface': case 'policy-map interface': {
          // What the virtual-access interfaces enforce: CoA template ACLs, service policies (F-POD-03).
          if (charon) throw new UserError(`a strongswan node has no "${key}" view`);
          const st = await controlRequest<{ tunnels: TunnelStatus[] }>(path, 'status');
          const text = key === 'ip access-lists' ? showAccessLists(st.tunnels) : key === 'ip interface' ? showIpInterfaceAccess(st.tunnels) : showPolicyMapInterface(st.tunnels);
          return print(text, st.tunnels.map((t) => ({ interface: t.interface, ...t.policy })));
        }
        case 'ip nat translations': {
          // The node's connection tracking table: the headend NAT of F-SRV-09 (works on nat nodes too).
          const list = parseConntrack(await lab.exec(node, ['conntrack', '-L', '--src-nat']));
          return print(showNatTranslations(list), list);
        }
        case 'status': case 'counters': case 'pools': {
          if (charon && key !== 'status') throw new UserError(`a strongswan node has no "${key}" view; try: ikev2 sa, ipsec sa, session, status`);
          const r = charon ? await charonStats(labStrongswanPaths(lab, node)) : await controlRequest(path, key);
          return console.log(JSON.stringify(r, null, 2));
        }
        case 'events': {
          if (charon) throw new UserError(`charon has no event stream; its log is ${labStrongswanPaths(lab, node).log}`);
          const r = await controlRequest<Array<{ time: number; type: string; text: string }>>(path, 'events');
          return print(r.map((e) => `${new Date(e.time).toISOString()} [${e.type}] ${e.text}`).join('\n'), r);
        }
        case 'client': case 'ikev2 client flexvpn': {
          if (charon) throw new UserError(`${node} is a strongswan node, not a flexvpn-client`);
          const r = await controlRequest<ClientShowData>(path, 'client').catch((e: Error) => {
            throw new UserError(/unknown command/.test(e.message) ? `${node} is not a flexvpn-client node (no client view)` : e.message);
          });
          return print(showClient(r), r);
        }
        default:
          throw new UserError(`unknown view "${what.join(' ')}"; try one of: ${VIEWS.join(', ')}`);
      }
    });

  program
    .command('clear')
    .description('clear the IKE and IPsec SAs of a node (IOS: clear crypto session)')
    .argument('<node>', 'node name')
    .option('--name <lab>', 'lab name')
    .action(async (node: string, opts: { name?: string }) => {
      const r = await controlRequest(await nodeControlPath(opts, node), 'clear');
      console.log(JSON.stringify(r));
    });

  program
    .command('ike')
    .description('drive a node\'s IKE: initiate | terminate [ID] | rekey [ID] [--child] | dpd [ID] | disconnect (a client\'s user disconnect)')
    .argument('<node>', 'node name')
    .argument('<action>', 'initiate, terminate, rekey, dpd or disconnect')
    .argument('[id]', 'IKE SA id (default: all)')
    .option('--child', 'rekey the CHILD SAs instead of the IKE SA')
    .option('--name <lab>', 'lab name')
    .action(async (node: string, action: string, id: string | undefined, opts: { name?: string; child?: boolean }) => {
      if (!['initiate', 'terminate', 'rekey', 'dpd', 'disconnect'].includes(action)) throw new UserError(`unknown action "${action}": initiate, terminate, rekey, dpd or disconnect`);
      const args: Record<string, unknown> = id !== undefined ? { ikeSaId: Number(id) } : {};
      if (opts.child) args.child = true;
      const r = await controlRequest(await nodeControlPath(opts, node), action, args);
      console.log(JSON.stringify(r));
    });
}
