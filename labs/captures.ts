// Per-link packet captures: tcpdump inside one endpoint's namespace, in immediate mode and flushing
// every packet (-U --immediate-mode), so a packet is in the file as soon as it crossed the link.
// tcpdump writes pcap: while a capture runs, <out>/captures/<link id>.pcap can be opened live; when
// it stops (capture stop, or destroy) the file becomes <link id>.pcapng (editcap), the format the
// reports and Wireshark key files go with.
//
// Why not dumpcap, which writes pcapng itself: without immediate mode (dumpcap 4.0 has none) the
// kernel hands packets over in blocks up to a timeout later, and the last ones are lost at stop.

import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../cli/errors.ts';
import { run, sleep } from './command.ts';
import type { Lab } from './lab.ts';
import { resolveLink } from './model.ts';
import type { LinkModel } from './model.ts';
import type { CaptureRecord, LabState } from './state.ts';
import { isRunning, stopProcess } from './supervisor.ts';

export interface CaptureInfo {
  /** The link id; one capture per link at a time. */
  id: string;
  node: string;
  ifname: string;
  /** The pcapng it becomes when stopped. */
  file: string;
  /** The pcap being written now. */
  live: string;
  pid: number;
}

export async function startCapture(lab: Lab, link: LinkModel | string): Promise<CaptureInfo> {
  const l = typeof link === 'string' ? resolveLink(lab.model, link) : link;
  const running = lab.state.view().captures.get(l.id);
  if (running && !running.stopped) throw new UserError(`link ${l.id} is already being captured to ${running.live}`);
  const { node, interface: ifname } = l.a;
  const dir = path.join(lab.outDir, 'captures');
  const file = path.join(dir, `${l.id}.pcapng`);
  const live = path.join(dir, `${l.id}.pcap`);
  mkdirSync(dir, { recursive: true });
  const name = `capture-${ifname}`;
  lab.state.append({ t: 'capture', id: l.id, link: l.id, node, ifname, file, live, process: `${node}/${name}` });
  // tcpdump prints "listening on eth1" once its socket is bound: from then on nothing is missed.
  const proc = await lab.spawn(node, name, ['tcpdump', '-n', '-U', '--immediate-mode', '-i', ifname, '-w', live], { ready: /listening on/ });
  return { id: l.id, node, ifname, file, live, pid: proc.pid };
}

/** Stops the capture of a link and returns its record; `file` is the finished pcapng. */
export async function stopCapture(lab: Lab, link: LinkModel | string): Promise<CaptureRecord> {
  const l = typeof link === 'string' ? resolveLink(lab.model, link) : link;
  const cap = lab.state.view().captures.get(l.id);
  if (!cap || cap.stopped) throw new UserError(`link ${l.id} is not being captured`);
  return finishCapture(lab.state, cap);
}

/**
 * Stops a capture (if its process still runs) and turns its pcap into pcapng. Used by destroy for
 * every capture not stopped yet, including those of a deploy that was killed.
 */
export async function finishCapture(state: LabState, cap: CaptureRecord): Promise<CaptureRecord> {
  const proc = state.view().processes.get(cap.process);
  if (proc && isRunning(proc)) {
    // Packets that crossed the link a moment ago may still sit in tcpdump's socket buffer.
    await sleep(50);
    await stopProcess(state, proc);
  }
  let file = cap.file;
  if (existsSync(cap.live)) {
    const r = await run(['editcap', '-F', 'pcapng', cap.live, cap.file]);
    if (r.code === 0) rmSync(cap.live, { force: true });
    else file = cap.live; // no editcap (tshark not installed): keep the pcap
  }
  state.append({ t: 'capture-stopped', id: cap.id });
  return { ...cap, file, stopped: true };
}

export function listCaptures(lab: Lab): (CaptureRecord & { running: boolean })[] {
  const view = lab.state.view();
  return [...view.captures.values()].map((c) => {
    const p = view.processes.get(c.process);
    return { ...c, running: !c.stopped && !!p && isRunning(p) };
  });
}
