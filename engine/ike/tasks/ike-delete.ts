// Deleting the IKE SA (RFC 7296 1.4.1): a Delete payload with protocol IKE; both sides then drop
// the IKE SA and every CHILD SA under it.

import { PayloadType, ProtocolId } from '../constants.ts';
import type { ExchangeContext, Task, TaskResult } from '../sa/task.ts';
import { DONE } from '../sa/task.ts';

export class IkeDeleteTask implements Task {
  readonly name = 'ike-delete';

  constructor(private readonly reason: string) {}

  buildRequest(x: ExchangeContext): void {
    x.shared.deletingIke = true;
    if (x.sa.state !== 'DELETED') x.sa.state = 'DELETING';
    x.out.push({ type: PayloadType.DELETE, protocolId: ProtocolId.IKE, spiSize: 0, spis: [] });
  }

  processResponse(x: ExchangeContext): TaskResult {
    x.sa.destroy(this.reason, x.now);
    return DONE;
  }
}
