// flexlab capture start|stop|list [LINK] [--all]
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { listCaptures, startCapture, stopCapture } from '../../labs/captures.ts';
import { labFromOptions, requireRoot } from '../lab-cli.ts';

export function register(program: Command): void {
  const capture = program.command('capture').description('per-link packet capture to pcapng in <out>/captures');
  const sub = (name: string, description: string) =>
    capture.command(name).description(description).option('--name <lab>', 'lab name (optional when one lab is deployed)');

  sub('start', 'start capturing a link (or every link)').argument('[link]', 'link id, endpoint (hub:eth1) or two nodes (hub--wan)')
    .option('-a, --all', 'every link not yet captured')
    .action(async (link: string | undefined, o: { name?: string; all?: boolean }) => {
      requireRoot();
      const lab = labFromOptions(o);
      if (!link && !o.all) throw new UserError('say which link, or --all');
      const busy = new Set(listCaptures(lab).filter((c) => !c.stopped).map((c) => c.link));
      const links = link ? [link] : lab.model.links.filter((l) => !busy.has(l.id)).map((l) => l.id);
      for (const l of links) {
        const c = await startCapture(lab, l);
        console.log(`capturing ${c.id} on ${c.node}:${c.ifname} -> ${c.file}`);
      }
    });
  sub('stop', 'stop capturing a link (or every link)').argument('[link]', 'link')
    .option('-a, --all', 'every running capture')
    .action(async (link: string | undefined, o: { name?: string; all?: boolean }) => {
      requireRoot();
      const lab = labFromOptions(o);
      if (!link && !o.all) throw new UserError('say which link, or --all');
      const links = link ? [link] : listCaptures(lab).filter((c) => !c.stopped).map((c) => c.link);
      for (const l of links) {
        const c = await stopCapture(lab, l);
        console.log(`stopped ${c.link}: ${c.file}`);
      }
    });
  sub('list', 'list captures').action((o: { name?: string }) => {
    const caps = listCaptures(labFromOptions(o));
    console.log(caps.length ? caps.map((c) => `${c.link}  ${c.running ? 'running' : 'stopped'}  ${c.file}`).join('\n') : 'no captures');
  });
}
