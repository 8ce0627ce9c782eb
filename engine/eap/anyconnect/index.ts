// AnyConnect-EAP (Cisco aggregate authentication over IKEv2): wire framing, config-auth XML,
// the PKCS7 of dual-factor authentication, and the client and headend state machines.

export * from './wire.ts';
export * from './xml.ts';
export { buildCertsOnlyPkcs7, parseCertsOnlyPkcs7 } from './pkcs7.ts';
export { AnyConnectPeer, type AnyConnectPeerOptions, type AnyConnectPeerResult, type AnyConnectComplete, type ConfigAuthStep } from './peer.ts';
export { AnyConnectServer, type AnyConnectServerOptions, type AnyConnectServerStep } from './server.ts';
