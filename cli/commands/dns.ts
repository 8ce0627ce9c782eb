// `flexlab dns-server --config FILE`: the lab DNS server (labs/kinds/dns.ts) in the current network
// namespace, with a control socket to change its records while it runs. `flexlab dns NODE [NAME
// [ADDRESS...] | NAME --remove]`: shows or changes the records of a lab's dns node.

import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { labFromOptions } from '../lab-cli.ts';
import { DnsServer } from '../../engine/dns/server.ts';
import { ControlServer, controlRequest } from '../../engine/daemon/control.ts';
import { dnsControlPath } from '../../labs/kinds/dns.ts';

export function register(program: Command): void {
  program
    .command('dns-server')
    .description('run the lab DNS server (authoritative A/AAAA) in the current network namespace')
    .requiredOption('-c, --config <file>', 'JSON: {records: {name: address | [addresses]}, ttl, control: socket path}')
    .action(async (opts: { config: string }) => {
      let cfg: { records?: Record<string, string | string[]>; ttl?: number; control?: string; port?: number };
      try {
        cfg = JSON.parse(readFileSync(opts.config, 'utf8')) as typeof cfg;
      } catch (e) {
        throw new UserError(`${opts.config}: ${(e as Error).message}`);
      }
      const log = (l: string) => console.log(`${new Date().toISOString()} ${l}`);
      const server = new DnsServer(cfg.records ?? {}, { ttl: cfg.ttl, port: cfg.port, log });
      await server.listen();
      const control = cfg.control ? new ControlServer(cfg.control) : undefined;
      control
        ?.on('records', () => server.all())
        .on('counters', () => server.counters)
        .on('set', (args) => {
          const name = String(args.name);
          const addrs = args.addresses === null || args.remove === true ? null : (Array.isArray(args.addresses) ? args.addresses : [args.addresses]).map(String);
          server.set(name, addrs);
          log(addrs ? `record ${name} set to ${addrs.join(', ')}` : `record ${name} removed`);
          return { name, addresses: server.lookup(name) ?? null };
        });
      await control?.listen();
      log(`dns server listening on UDP ${server.port} (${Object.keys(server.all()).length} names)`);
      const stop = () => {
        server.close();
        control?.close();
        process.exit(0);
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      await new Promise(() => {}); // runs until signalled
    });

  program
    .command('dns')
    .description("show or change the records of a lab's dns node")
    .argument('<node>', 'the dns node')
    .argument('[name]', 'a name to set or remove')
    .argument('[addresses...]', 'its new addresses')
    .option('--remove', 'remove the name (NXDOMAIN from now on)')
    .option('--name <lab>', 'lab name (default: the only deployed lab)')
    .option('-t, --topo <file>', 'topology file of the lab')
    .option('--json', 'structured output')
    .action(async (node: string, name: string | undefined, addresses: string[], opts: { remove?: boolean; name?: string; topo?: string; json?: boolean }) => {
      const lab = labFromOptions(opts);
      if (lab.node(node).kind !== 'dns') throw new UserError(`${node} is a ${lab.node(node).kind}, not a dns node`);
      const path = dnsControlPath(lab.state.dir, node);
      if (name && (opts.remove || addresses.length)) {
        const r = await controlRequest(path, 'set', { name, addresses: opts.remove ? null : addresses });
        console.log(opts.json ? JSON.stringify(r) : opts.remove ? `${name} removed` : `${name} -> ${addresses.join(', ')}`);
        return;
      }
      const all = await controlRequest<Record<string, string[]>>(path, 'records');
      const shown = name ? Object.fromEntries(Object.entries(all).filter(([k]) => k === name.toLowerCase())) : all;
      console.log(opts.json ? JSON.stringify(shown, null, 2) : Object.entries(shown).map(([k, v]) => `${k.padEnd(32)} ${v.join(', ')}`).join('\n') || '(no records)');
    });
}
