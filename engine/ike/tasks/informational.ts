// Responder side of INFORMATIONAL (RFC 7296 1.4): Delete of the IKE SA or of CHILD SAs, status and
// error notifies (logged), and the empty request of a liveness check (answered empty).

import { ExchangeType, NotifyType, ProtocolId, enumName } from '../constants.ts';
import type { ExchangeContext, Task, TaskResult } from '../sa/task.ts';
import { DONE, afterResponse } from '../sa/task.ts';
import { deletes, notifies } from '../payload-util.ts';
import { answerChildDelete } from './child-delete.ts';
import type { DeletePayload } from '../message.ts';
import type { ChildSa } from '../sa/child-sa.ts';
import { ChildCreateTask } from './child-create.ts';

export class InformationalResponder implements Task {
  readonly name = 'informational';
  private replies: DeletePayload[] = [];
  private deleteIke = false;

  processRequest(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    const before = [...sa.children.values()];
    for (const d of deletes(x.received)) {
      if (d.protocolId === ProtocolId.IKE) {
        this.deleteIke = true;
      } else if (d.protocolId === ProtocolId.ESP || d.protocolId === ProtocolId.AH) {
        const r = answerChildDelete(x, d);
        if (r) this.replies.push(r);
      }
    }
    for (const n of notifies(x.received)) {
      sa.emit('notify', `peer sent notify ${enumName(NotifyType, n.notifyType)}${n.data.length ? ` (${n.data.length} bytes)` : ''} in INFORMATIONAL`, { notify: enumName(NotifyType, n.notifyType), data: n.data.toString('hex') });
    }
    if (!x.received.length) x.core.counter('dpd-answered');
    this.deletedChildren = before.filter((c) => !sa.children.has(c.id));
    return DONE;
  }

  private deletedChildren: ChildSa[] = [];

  /**
   * A client persona that re-creates its CHILD SA when the peer deleted the last one
   * (Ikev2Profile.recreateChildAfterPeerDelete), once our answer is out.
   */
  private recreate(x: ExchangeContext): void {
    const sa = x.sa;
    const gone = this.deletedChildren.filter((c) => c.replacedBy === undefined);
    if (!sa.profile?.recreateChildAfterPeerDelete || !sa.initiator || !gone.length) return;
    afterResponse(x, () => {
      if (!sa.isEstablished || [...sa.children.values()].some((c) => c.state !== 'DELETED' && c.state !== 'DELETING')) return;
      sa.emit('info', `the peer deleted our last CHILD SA {${gone.map((c) => c.id).join(',')}}: creating a new one`, { deleted: gone.map((c) => c.id) });
      sa.queueExchange(ExchangeType.CREATE_CHILD_SA, [new ChildCreateTask({ initial: false, name: gone[0]!.name })], x.now);
    });
  }

  buildResponse(x: ExchangeContext): void {
    this.recreate(x);
    if (this.deleteIke) {
      // Answer with an empty message, then the SA is gone (RFC 7296 1.4.1).
      afterResponse(x, () => x.sa.destroy('deleted by peer', x.now));
      return;
    }
    x.out.push(...this.replies);
  }
}
