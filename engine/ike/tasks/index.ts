// Which tasks make up each exchange. Initiator bundles are built by the engine's commands; the
// responder side is chosen from the request by a list of factories, so a new exchange piece
// (EAP, redirect, MOBIKE, resumption) is added here without touching the others.

import { ExchangeType, NotifyType, PayloadType, ProtocolId } from '../constants.ts';
import type { Payload, SaPayload } from '../message.ts';
import type { IkeSa } from '../sa/ike-sa.ts';
import type { Task } from '../sa/task.ts';
import { IkeInitTask } from './ike-init.ts';
import { FragmentationSupportTask, NatdTask, SignatureHashTask, VendorIdTask } from './ike-sa-init-notifies.ts';
import { IkeAuthTask } from './ike-auth.ts';
import { ConfigTask } from './ike-config.ts';
import { ChildCreateTask } from './child-create.ts';
import { WindowSizeTask } from './window-size.ts';
import { AuthorizationTask } from './authorization.ts';
import { IkeRekeyResponder } from './ike-rekey.ts';
import { InformationalResponder } from './informational.ts';
import { SessionResumeTask } from './ike-session-resume.ts';
import { ResumedAuthTask } from './resumed-auth.ts';
import { TicketTask } from './ticket.ts';
import type { ClientTicket } from '../resumption/service.ts';
import { notify } from '../payload-util.ts';

export function ikeSaInitTasks(): Task[] {
  return [new IkeInitTask(), new NatdTask(), new FragmentationSupportTask(), new SignatureHashTask(), new VendorIdTask()];
}

export function ikeAuthTasks(childName?: string): Task[] {
  return [new IkeAuthTask(), new ConfigTask(), new ChildCreateTask({ initial: true, name: childName }), new WindowSizeTask(), new TicketTask()];
}

/** The responder's IKE_AUTH: authentication, then authorization, then CP and the CHILD SA (F-AUTHZ-01). */
export function ikeAuthResponderTasks(): Task[] {
  return [new IkeAuthTask(), new AuthorizationTask(), new ConfigTask(), new ChildCreateTask({ initial: true }), new WindowSizeTask(), new TicketTask()];
}

/** RFC 5723: IKE_SESSION_RESUME in place of IKE_SA_INIT (initiator: with the ticket to present). */
export function sessionResumeTasks(ticket?: ClientTicket, timeout?: number): Task[] {
  return [new SessionResumeTask({ ticket, timeout }), new NatdTask(), new FragmentationSupportTask()];
}

/** RFC 5723 4.3.3: the IKE_AUTH after IKE_SESSION_RESUME; a fresh ticket is asked for (and granted) again. */
export function resumedAuthTasks(childName?: string): Task[] {
  return [new ResumedAuthTask(), new ConfigTask(), new ChildCreateTask({ initial: true, name: childName }), new WindowSizeTask(), new TicketTask()];
}

export function resumedAuthResponderTasks(): Task[] {
  return [new ResumedAuthTask(), new AuthorizationTask(), new ConfigTask(), new ChildCreateTask({ initial: true }), new WindowSizeTask(), new TicketTask()];
}

export type PassiveTaskFactory = (sa: IkeSa, exchange: ExchangeType, payloads: Payload[]) => Task[] | undefined;

const passiveFactories: PassiveTaskFactory[] = [
  (_sa, ex) => (ex === ExchangeType.IKE_SA_INIT ? ikeSaInitTasks() : undefined),
  (_sa, ex) => (ex === ExchangeType.IKE_SESSION_RESUME ? sessionResumeTasks() : undefined),
  (sa, ex) => (ex === ExchangeType.IKE_AUTH && sa.resumption?.resumed ? resumedAuthResponderTasks() : undefined),
  (_sa, ex, p) => (ex === ExchangeType.INFORMATIONAL && notify(p, NotifyType.TICKET_REQUEST) ? [new InformationalResponder(), new TicketTask()] : undefined),
  (_sa, ex) => (ex === ExchangeType.IKE_AUTH ? ikeAuthResponderTasks() : undefined),
  (_sa, ex, p) => {
    if (ex !== ExchangeType.CREATE_CHILD_SA) return undefined;
    const sa = p.find((x) => x.type === PayloadType.SA) as SaPayload | undefined;
    if (sa?.proposals[0]?.protocolId === ProtocolId.IKE) return [new IkeRekeyResponder()];
    return [new ChildCreateTask({ initial: false })];
  },
  (_sa, ex) => (ex === ExchangeType.INFORMATIONAL ? [new InformationalResponder()] : undefined),
];

/** Adds a factory that is consulted before the built-in ones. */
export function registerPassiveTasks(f: PassiveTaskFactory): void {
  passiveFactories.unshift(f);
}

export function passiveTasks(sa: IkeSa, exchange: ExchangeType, payloads: Payload[]): Task[] {
  for (const f of passiveFactories) {
    const t = f(sa, exchange, payloads);
    if (t) return t;
  }
  return [];
}
