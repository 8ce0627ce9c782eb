// Result shapes shared by encap and decap. A drop result carries only its reason, so one frozen
// object per reason is reused instead of allocating on every dropped packet.

import { DROP_REASONS, type DropReason } from './sa.ts';

export interface Dropped {
  readonly ok: false;
  readonly reason: DropReason;
}

export type SealResult = { readonly ok: true; readonly packet: Buffer } | Dropped;

export type OpenResult = { readonly ok: true; readonly inner: Buffer; readonly nextHeader: number } | Dropped;

const DROPPED = Object.fromEntries(DROP_REASONS.map((r) => [r, Object.freeze({ ok: false as const, reason: r })])) as Record<DropReason, Dropped>;

export function dropped(reason: DropReason): Dropped {
  return DROPPED[reason];
}
