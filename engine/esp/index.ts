// Public surface of the sans-IO ESP data plane. TUN and native UDP I/O live in tun.ts and
// udp-socket.ts (they load the native addon), and are not re-exported here so the core stays usable
// without it.

export { EspSa, EspSaConfigError, DROP_REASONS, SEQ_MAX, DEFAULT_SEQ_SOFT_LIMIT, newDropCounters } from './sa.ts';
export type { DropReason, DropCounters, EspLifetime, EspSaEvent, EspSaOptions, EspSaSnapshot, LifetimeCause } from './sa.ts';
export { ReplayWindow, MAX_REPLAY_WINDOW } from './replay-window.ts';
export type { ReplayVerdict } from './replay-window.ts';
export { seal, sealPayload, sealDummy, NEXT_HEADER_IPV4, NEXT_HEADER_IPV6, NEXT_HEADER_NONE } from './encap.ts';
export { open, openPayload, espSpi, espSeq } from './decap.ts';
export type { SealResult, OpenResult, Dropped } from './result.ts';
export { SecurityAssociationDatabase, SpdEntry } from './sad.ts';
export type { SpdEntryInit, SadOpenResult, SadSealResult } from './sad.ts';
export { classifyUdp4500, stripNonEspMarker, withNonEspMarker, natKeepalive, NAT_T_PORT, DEFAULT_NAT_KEEPALIVE_SECONDS } from './udp-encap.ts';
export type { Udp4500Kind } from './udp-encap.ts';
export { espSaLine, espSaLineFor } from './keyexport.ts';
export type { EspSaKeyRecord } from './keyexport.ts';
export * from './ip-packet.ts';
