// SET_WINDOW_SIZE (RFC 7296 2.3): we advertise our window (IOS: 5) and honour the peer's.

import { NotifyType } from '../constants.ts';
import type { ExchangeContext, Task, TaskResult } from '../sa/task.ts';
import { DONE } from '../sa/task.ts';
import { mkNotify, notify, u32 } from '../payload-util.ts';

export class WindowSizeTask implements Task {
  readonly name = 'window-size';

  private add(x: ExchangeContext): void {
    if (x.core.settings.window > 1) x.out.push(mkNotify(NotifyType.SET_WINDOW_SIZE, u32(x.core.settings.window)));
  }

  private read(x: ExchangeContext): void {
    const n = notify(x.received, NotifyType.SET_WINDOW_SIZE);
    if (n && n.data.length === 4) x.sa.peerWindow = Math.max(1, Math.min(n.data.readUInt32BE(0), 64));
  }

  private sent = false;

  buildRequest(x: ExchangeContext): void {
    if (this.sent) return;
    this.sent = true;
    this.add(x);
  }

  processResponse(x: ExchangeContext): TaskResult {
    this.read(x);
    return x.sa.authenticated ? DONE : { status: 'again' };
  }

  processRequest(x: ExchangeContext): TaskResult {
    this.read(x);
    // With EAP, stay for the last IKE_AUTH round: the notify goes in the final response.
    return x.sa.authenticated ? DONE : { status: 'again' };
  }

  buildResponse(x: ExchangeContext): void {
    if (x.sa.authenticated) this.add(x);
  }
}
