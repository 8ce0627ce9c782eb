// The shell side of every sans-IO core (IKE engine, FlexVPN client, track table, RADIUS client,
// server and DAS): outputs are actions the shell drains, time comes in with each input, and one
// timer heap says when the shell must call back. The cores add their own inputs
// (handleDatagram, handleIkeEvent, ...).

import { Timers } from '../ike/timers.ts';

export abstract class SansIoCore<A> {
  readonly timers = new Timers();
  protected actions: A[] = [];
  /** Time (ms) of the latest input. */
  protected now = 0;

  /** Drains the actions produced so far. */
  pollActions(): A[] {
    const a = this.actions;
    this.actions = [];
    return a;
  }

  /** The earliest time (ms) at which `handleTimeout` must be called, if any. */
  pollTimeout(): number | undefined {
    return this.timers.next();
  }

  handleTimeout(now: number): void {
    this.now = now;
    this.timers.fire(now);
  }
}
