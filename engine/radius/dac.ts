// The Dynamic Authorization Client side of RFC 5176: building Disconnect-Request and CoA-Request for
// a session, and reading the ACK/NAK. Sending, retransmission and verification are RadiusClient's
// (with the NAS as its server, on the DAE port); `flexlab radius disconnect|coa` and scenario
// actions use these builders.

import { ErrorCause, RadiusCode, radiusCodeName } from './constants.ts';
import type { Avp } from './attributes.ts';
import { getNumber, getText } from './attributes.ts';
import { attrByName, valueName } from './dictionary.ts';
import type { RadiusRequestInput } from './client.ts';
import type { RadiusMessage } from './message.ts';

/** How the DAC names the session (RFC 5176 section 3); at least one field. */
export interface DaeTarget {
  userName?: string;
  acctSessionId?: string;
  /** Sent as the Cisco AV pair `audit-session-id=<id>` (the only key the seed's IOS DAS uses). */
  auditSessionId?: string;
  /** Protocol prefix for the audit-session-id pair: "" (default, as in the seed's PoD) or "ip" (as in its CoA). */
  auditSessionIdProtocol?: string;
  framedIpAddress?: string;
  callingStationId?: string;
  nasIpAddress?: string;
  nasIdentifier?: string;
}

export function targetAttributes(t: DaeTarget): Avp[] {
  const out: Avp[] = [];
  if (t.userName !== undefined) out.push({ name: 'User-Name', value: t.userName });
  if (t.acctSessionId !== undefined) out.push({ name: 'Acct-Session-Id', value: t.acctSessionId });
  if (t.framedIpAddress !== undefined) out.push({ name: 'Framed-IP-Address', value: t.framedIpAddress });
  if (t.callingStationId !== undefined) out.push({ name: 'Calling-Station-Id', value: t.callingStationId });
  if (t.nasIpAddress !== undefined) out.push({ name: 'NAS-IP-Address', value: t.nasIpAddress });
  if (t.nasIdentifier !== undefined) out.push({ name: 'NAS-Identifier', value: t.nasIdentifier });
  if (t.auditSessionId !== undefined) {
    const p = t.auditSessionIdProtocol ? `${t.auditSessionIdProtocol}:` : '';
    out.push({ name: 'Cisco-AVPair', value: `${p}audit-session-id=${t.auditSessionId}` });
  }
  return out;
}

export function disconnectRequest(target: DaeTarget, extra: Avp[] = []): RadiusRequestInput {
  return { code: RadiusCode.DisconnectRequest, attributes: [...targetAttributes(target), ...extra] };
}

/** CoA-Request carrying the new authorization, e.g. Cisco-AVPair "ip:interface-config=..." (F-POD-03). */
export function coaRequest(target: DaeTarget, changes: Avp[]): RadiusRequestInput {
  return { code: RadiusCode.CoaRequest, attributes: [...targetAttributes(target), ...changes] };
}

export interface DaeOutcome {
  ack: boolean;
  code: string;
  errorCause?: number;
  /** "Invalid-Request" for 404, from the dictionary. */
  errorCauseName?: string;
  replyMessage?: string;
}

export function daeOutcome(m: RadiusMessage): DaeOutcome {
  const ack = m.code === RadiusCode.DisconnectAck || m.code === RadiusCode.CoaAck;
  const errorCause = getNumber(m.attributes, 'Error-Cause');
  const replyMessage = getText(m.attributes, 'Reply-Message');
  const name = errorCause !== undefined ? valueName(attrByName('Error-Cause')!, errorCause) : undefined;
  return {
    ack, code: radiusCodeName(m.code),
    ...(errorCause !== undefined ? { errorCause } : {}), ...(name ? { errorCauseName: name } : {}),
    ...(replyMessage !== undefined ? { replyMessage } : {}),
  };
}

export { ErrorCause };
