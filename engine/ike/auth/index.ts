// Which authenticator serves which `authentication local|remote` method.

import type { LocalAuthMethod, RemoteAuthMethod } from '../config.ts';
import type { Authenticator } from './authenticator.ts';
import { PskAuthenticator } from './psk.ts';
import { PubkeyAuthenticator } from './pubkey.ts';

export type AuthenticatorFactory = (method: LocalAuthMethod | RemoteAuthMethod) => Authenticator | undefined;

const factories: AuthenticatorFactory[] = [
  (m) => (m === 'pre-share' ? new PskAuthenticator() : undefined),
  (m) => (m === 'rsa-sig' ? new PubkeyAuthenticator('RSA') : m === 'ecdsa-sig' ? new PubkeyAuthenticator('ECDSA') : undefined),
];

/** Registers another method (EAP, AnyConnect-EAP...) without touching the others. */
export function registerAuthenticator(f: AuthenticatorFactory): void {
  factories.push(f);
}

export function authenticatorFor(method: LocalAuthMethod | RemoteAuthMethod): Authenticator | undefined {
  for (const f of factories) {
    const a = f(method);
    if (a) return a;
  }
  return undefined;
}

/** The remote method a received AUTH payload corresponds to. */
export function remoteMethodForAuth(authMethod: number, allowed: RemoteAuthMethod[]): RemoteAuthMethod | undefined {
  if (authMethod === 2) return allowed.find((m) => m === 'pre-share');
  return allowed.find((m) => m === 'rsa-sig' || m === 'ecdsa-sig');
}
