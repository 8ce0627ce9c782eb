// Liveness check (RFC 7296 1.4, 2.4): an empty INFORMATIONAL request; any answer proves the peer
// alive. Its retransmission schedule (DPD retry interval x retries) decides when it is dead.

import type { ExchangeContext, Task, TaskResult } from '../sa/task.ts';
import { DONE } from '../sa/task.ts';

export class DpdTask implements Task {
  readonly name = 'dpd';

  buildRequest(x: ExchangeContext): void {
    x.core.counter('dpd-sent');
    x.sa.emit('dpd-sent', `liveness check sent to ${x.sa.peer}`);
  }

  processResponse(x: ExchangeContext): TaskResult {
    x.sa.emit('dpd-ok', `peer ${x.sa.peer} answered the liveness check`);
    return DONE;
  }
}
