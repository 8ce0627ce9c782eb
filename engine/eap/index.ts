// Sans-IO EAP (RFC 3748): packet codec, peer and server sessions, and the methods MD5-Challenge,
// MSCHAPv2 (with MSK) and GTC on both sides.

export * from './constants.ts';
export { EapParseError, isEapParseError, type EapParseErrorCode } from './errors.ts';
export * from './packet.ts';
export type { EapStep, EapPeerMethod, EapServerMethod, EapMethodInfo, PeerCredentials, ServerMethodContext } from './method.ts';
export { EapPeer, createPeerMethod, type EapPeerOptions, type EapPeerResult } from './peer.ts';
export { EapServer, createServerMethod, type EapServerOptions, type EapServerResult, type EapUserRecord } from './server.ts';
export { chapMd5, decodeMd5Data, encodeMd5Data, Md5PeerMethod, Md5ServerMethod } from './methods/md5.ts';
export { GtcPeerMethod, GtcServerMethod } from './methods/gtc.ts';
export { MsChapV2PeerMethod, MsChapV2ServerMethod } from './methods/mschapv2.ts';
export * from './mschapv2-packet.ts';
export * from './mschapv2-crypto.ts';
export { md4 } from './md4.ts';
