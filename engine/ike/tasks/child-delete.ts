// Deleting CHILD SAs with an INFORMATIONAL exchange (RFC 7296 1.4.1): the Delete payload lists the
// SPIs we receive on; the peer answers with the SPIs of the other halves.

import { PayloadType, ProtocolId } from '../constants.ts';
import type { DeletePayload } from '../message.ts';
import type { ExchangeContext, Task, TaskResult } from '../sa/task.ts';
import { DONE } from '../sa/task.ts';
import { u32 } from '../payload-util.ts';
import type { ChildSa } from '../sa/child-sa.ts';
import { spiHex } from '../sa/child-sa.ts';

export class ChildDeleteTask implements Task {
  readonly name = 'child-delete';

  constructor(private readonly children: ChildSa[], private readonly reason: string) {}

  buildRequest(x: ExchangeContext): void {
    const live = this.children.filter((c) => c.state !== 'DELETED');
    for (const c of live) if (c.state !== 'REKEYED') c.state = 'DELETING';
    if (!live.length) return;
    x.out.push({ type: PayloadType.DELETE, protocolId: ProtocolId.ESP, spiSize: 4, spis: live.map((c) => u32(c.spiIn)) });
    x.sa.emit('info', `deleting CHILD SA ${live.map((c) => `{${c.id}} ${spiHex(c.spiIn)}`).join(', ')}: ${this.reason}`, { children: live.map((c) => c.id), reason: this.reason });
  }

  processResponse(x: ExchangeContext): TaskResult {
    for (const c of this.children) x.sa.removeChild(c, this.reason, x.now);
    return DONE;
  }

  abort(x: { now: number }): void {
    void x;
  }
}

/**
 * Responder side of a Delete of CHILD SAs. Returns the Delete payload of our inbound SPIs
 * (omitting SAs we are deleting ourselves, RFC 7296 1.4.1), after removing them.
 */
export function answerChildDelete(x: ExchangeContext, d: DeletePayload): DeletePayload | undefined {
  const sa = x.sa;
  const ours: Buffer[] = [];
  for (const spi of d.spis) {
    if (spi.length !== 4) continue;
    const c = sa.findChildByOutboundSpi(spi.readUInt32BE(0));
    if (!c) {
      x.core.counter('delete.unknown-child');
      continue;
    }
    if (c.state === 'REKEYING') c.rekeyAbandoned = true; // forget our rekey (RFC 7296 2.25.1)
    if (c.state !== 'DELETING') ours.push(u32(c.spiIn));
    sa.removeChild(c, 'deleted by peer', x.now);
  }
  return ours.length ? { type: PayloadType.DELETE, protocolId: d.protocolId, spiSize: 4, spis: ours } : undefined;
}
