// Pre-shared key authentication (RFC 7296 2.15, AUTH method 2), with IOS keyrings: symmetric keys
// and asymmetric ones (`pre-shared-key local K1` / `remote K2`, F-AUTH-02).

import { Buffer } from 'node:buffer';
import { AuthMethod, PayloadType } from '../constants.ts';
import type { Keyring, KeyringPeer } from '../config.ts';
import type { AuthPayload } from '../message.ts';
import type { ExchangeContext } from '../sa/task.ts';
import type { Authenticator } from './authenticator.ts';
import { pskAuth } from '../crypto/auth.ts';
import { timingSafeEqual } from 'node:crypto';
import { parseCidr, cidrContains, ipFamily } from '../../util/ip.ts';
import type { Cidr } from '../../util/ip.ts';
import type { IkeSa } from '../sa/ike-sa.ts';
import { identityMatches } from '../identity.ts';

/** Keyring addresses parsed once: a hub looks the keyring up twice for every IKE_AUTH. */
const parsedAddresses = new Map<string, Cidr | string>();

function keyringCidr(address: string): Cidr | string {
  let c = parsedAddresses.get(address);
  if (c === undefined) {
    c = parseCidr(address.includes('/') ? address : `${address}/${ipFamily(address) === 6 ? 128 : 32}`);
    if (parsedAddresses.size >= 1024) parsedAddresses.clear();
    parsedAddresses.set(address, c);
  }
  return c;
}

/** Keyring lookup: a peer entry matching the remote identity first, then the longest address prefix. */
export function findKeyringPeer(keyring: Keyring | undefined, sa: IkeSa): KeyringPeer | undefined {
  if (!keyring) return undefined;
  if (sa.remoteId) {
    const byId = keyring.peers.find((p) => p.identity && identityMatches({ ...p.identity }, sa.remoteId!));
    if (byId) return byId;
  }
  let best: KeyringPeer | undefined;
  let bestLen = -1;
  for (const p of keyring.peers) {
    if (!p.address) continue;
    const c = keyringCidr(p.address);
    if (typeof c === 'string' || !cidrContains(c, sa.remote.address)) continue;
    if (c.prefix > bestLen) {
      best = p;
      bestLen = c.prefix;
    }
  }
  return best ?? keyring.peers.find((p) => !p.address && !p.identity);
}

export class PskAuthenticator implements Authenticator {
  readonly display = 'PSK';

  private key(x: ExchangeContext, local: boolean): Buffer | undefined {
    // AAA-based keys (F-AUTH-09) fetched from RADIUS take the place of the local keyring.
    const aaa = x.sa.aaaPsk;
    if (aaa) {
      const k = local ? aaa.local ?? aaa.symmetric : aaa.remote ?? aaa.symmetric;
      return k === undefined ? undefined : Buffer.from(k, 'utf8');
    }
    const peer = findKeyringPeer(x.sa.profile?.keyring, x.sa);
    const k = local ? peer?.preSharedKeyLocal ?? peer?.preSharedKey : peer?.preSharedKeyRemote ?? peer?.preSharedKey;
    return k === undefined ? undefined : Buffer.from(k, 'utf8');
  }

  buildAuth(x: ExchangeContext, octets: Buffer): AuthPayload | string {
    const k = this.key(x, true);
    if (!k) return `no pre-shared key for peer ${x.sa.remote.address} in keyring ${x.sa.profile?.keyring?.name ?? '(none)'}`;
    return { type: PayloadType.AUTH, method: AuthMethod.PSK, data: pskAuth(x.sa.suite!.prf, k, octets) };
  }

  verify(x: ExchangeContext, auth: AuthPayload, octets: Buffer): string | undefined {
    if (auth.method !== AuthMethod.PSK) return `peer used AUTH method ${auth.method}, profile expects a pre-shared key`;
    const k = this.key(x, false);
    if (!k) return `no pre-shared key for peer ${x.sa.remote.address} in keyring ${x.sa.profile?.keyring?.name ?? '(none)'}`;
    const expect = pskAuth(x.sa.suite!.prf, k, octets);
    if (expect.length !== auth.data.length || !timingSafeEqual(expect, auth.data)) return 'pre-shared key AUTH payload does not verify (wrong key?)';
    return undefined;
  }
}
