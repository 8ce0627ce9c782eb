// The task contract (after strongSwan's libcharon task_t): an exchange is a list of small tasks;
// each adds its payloads to the outgoing message and reads its payloads from the incoming one.
// The initiator calls buildRequest then processResponse; the responder processRequest then
// buildResponse. New features (EAP methods, redirect, MOBIKE, resumption) are new tasks.

import type { ExchangeType } from '../constants.ts';
import type { ClientError } from '../config.ts';
import type { IkeHeader, Payload } from '../message.ts';
import type { EngineCore } from './context.ts';
import type { IkeSa } from './ike-sa.ts';

export type TaskResult =
  | { status: 'done' }
  /** Keep this task for another round of the same exchange type (multi-round IKE_AUTH with EAP). */
  | { status: 'again' }
  /** Re-run the whole exchange (IKE_SA_INIT after COOKIE or INVALID_KE_PAYLOAD). */
  | { status: 'restart' }
  /** Responder: wait for an external answer (AAA) before building the response. */
  | { status: 'defer' }
  /** `clientError`: the persona's own error for this failure (engine/ike/config.ts ClientError). */
  | { status: 'failed'; reason: string; notify?: number; notifyData?: Buffer; fatal: boolean; clientError?: ClientError };

export const DONE: TaskResult = { status: 'done' };
export const AGAIN: TaskResult = { status: 'again' };

export function failed(reason: string, fatal: boolean, notify?: number, notifyData?: Buffer, clientError?: ClientError): TaskResult {
  return { status: 'failed', reason, fatal, notify, notifyData, ...(clientError ? { clientError } : {}) };
}

export interface ExchangeContext {
  sa: IkeSa;
  core: EngineCore;
  now: number;
  exchange: ExchangeType;
  messageId: number;
  /** Header of the received message (response for the initiator, request for the responder). */
  header?: IkeHeader;
  /** Payloads of the received message (decrypted). */
  received: Payload[];
  /** Payloads of the message being built. */
  out: Payload[];
  /** Scratch space shared by the tasks of one exchange. */
  shared: Record<string, unknown>;
}

export interface Task {
  readonly name: string;
  buildRequest?(x: ExchangeContext): void;
  processResponse?(x: ExchangeContext): TaskResult;
  processRequest?(x: ExchangeContext): TaskResult;
  buildResponse?(x: ExchangeContext): void;
  /** The exchange was abandoned (SA deleted, peer gone): release what the task holds. */
  abort?(x: { sa: IkeSa; core: EngineCore; now: number; reason: string }): void;
}

/** Runs `f` once the response of the current (responder) exchange has been sent. */
export function afterResponse(x: ExchangeContext, f: () => void): void {
  ((x.shared.afterResponse ??= []) as Array<() => void>).push(f);
}
