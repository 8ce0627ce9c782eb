// RFC 5723 facts of one IKE SA as the SA view (`show crypto ikev2 sa detail`, --json) carries them.

import type { SaResumption } from './service.ts';

/** Resumption facts of an IKE SA as `show` prints them. */
export interface ResumptionView {
  /** The SA was created by IKE_SESSION_RESUME. */
  resumed: boolean;
  /** The IKE SA the ticket stood for ("spiI_i spiR_r"). */
  resumedFrom?: string;
  ticketIssuedAt?: number;
  /** The ticket granted (gateway) or received (client) on this SA. */
  ticket?: { octets: number; lifetime: number; at: number };
}

export function resumptionView(r: SaResumption): ResumptionView {
  return {
    resumed: !!r.resumed,
    ...(r.resumed ? { resumedFrom: `${r.resumed.spiI}_i ${r.resumed.spiR}_r`, ticketIssuedAt: r.resumed.issued ?? r.resumed.client?.receivedAt } : {}),
    ...(r.ticket ? { ticket: { ...r.ticket } } : {}),
  };
}
