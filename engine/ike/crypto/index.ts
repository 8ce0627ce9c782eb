// The IKE cryptography in one import: engine/ike/crypto/index.ts re-exports the small modules.
export * from './errors.ts';
export * from './prf.ts';
export * from './keymat.ts';
export * from './dh.ts';
export * from './sk.ts';
export * from './auth.ts';
export * from './certs.ts';
export { cbcDecrypt, cbcEncrypt, computeIcv, gcmOpen, gcmSeal } from './cipher.ts';
export { resolveEncr, resolveInteg } from './transforms.ts';
