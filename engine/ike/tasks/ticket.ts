// Asking for and granting a session resumption ticket (RFC 5723 4.1, 4.2): the client puts
// N(TICKET_REQUEST) in its first IKE_AUTH request (or, to refresh a ticket, in an INFORMATIONAL
// request); the gateway answers in the final response with N(TICKET_LT_OPAQUE) = lifetime | ticket,
// or N(TICKET_NACK). A gateway that does not know the notify ignores it, and so no ticket.
// TICKET_ACK (the ticket will come later) is understood but never sent by us.

import { NotifyType } from '../constants.ts';
import type { ExchangeContext, Task, TaskResult } from '../sa/task.ts';
import { AGAIN, DONE } from '../sa/task.ts';
import { mkNotify, notify } from '../payload-util.ts';

export class TicketTask implements Task {
  readonly name = 'ticket';
  private sent = false;
  private requested = false;

  /** `refresh`: an INFORMATIONAL asking for a new ticket on an established SA. */
  constructor(private readonly opts: { refresh?: boolean } = {}) {}

  // ========================================================================== client

  buildRequest(x: ExchangeContext): void {
    if (this.sent || (!this.opts.refresh && !x.sa.resumption?.requestTicket)) return;
    this.sent = true;
    x.out.push(mkNotify(NotifyType.TICKET_REQUEST));
  }

  processResponse(x: ExchangeContext): TaskResult {
    const sa = x.sa;
    if (!this.sent) return DONE;
    const lt = notify(x.received, NotifyType.TICKET_LT_OPAQUE);
    if (lt) {
      x.core.resumption.received(sa, lt.data, x.now);
      return DONE;
    }
    if (notify(x.received, NotifyType.TICKET_NACK)) {
      x.core.counter('resume.ticket-refused');
      sa.emit('resume', `gateway ${sa.remote.address} refused to issue a resumption ticket (TICKET_NACK)`, { step: 'ticket-refused' });
      return DONE;
    }
    if (notify(x.received, NotifyType.TICKET_ACK)) {
      sa.emit('resume', `gateway ${sa.remote.address} will send the resumption ticket later (TICKET_ACK)`, { step: 'ticket-ack' });
      return DONE;
    }
    // EAP rounds: the answer comes with the final IKE_AUTH response.
    if (!this.opts.refresh && !sa.authenticated) return AGAIN;
    x.core.counter('resume.ticket-ignored');
    sa.emit('resume', `gateway ${sa.remote.address} ignored TICKET_REQUEST: no resumption ticket`, { step: 'ticket-ignored' });
    return DONE;
  }

  // ========================================================================== gateway

  processRequest(x: ExchangeContext): TaskResult {
    if (notify(x.received, NotifyType.TICKET_REQUEST)) this.requested = true;
    // During EAP the request is answered in the final response.
    return x.sa.authenticated ? DONE : AGAIN;
  }

  buildResponse(x: ExchangeContext): void {
    const sa = x.sa;
    if (!this.requested || !sa.authenticated || !sa.isEstablished) return;
    this.requested = false;
    const g = x.core.resumption.grant(sa, x.now);
    if ('refused' in g) {
      x.core.counter('resume.tickets-refused');
      sa.emit('resume', `no resumption ticket for ${sa.remoteId?.value}: ${g.refused} (TICKET_NACK)`, { step: 'ticket-refused', reason: g.refused });
      x.out.push(mkNotify(NotifyType.TICKET_NACK));
      return;
    }
    x.out.push(mkNotify(NotifyType.TICKET_LT_OPAQUE, g.data));
  }
}
