// The notifies and vendor IDs that ride along with IKE_SA_INIT: NAT detection (RFC 7296 2.23),
// IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383), SIGNATURE_HASH_ALGORITHMS (RFC 7427) and Vendor IDs
// (including Cisco's FLEXVPN-SUPPORTED, which stops a hub from narrowing the initiator's TS).

import { Buffer } from 'node:buffer';
import { NAT_T_PORT, NotifyType, PayloadType } from '../constants.ts';
import { OUR_SIGNATURE_HASHES, decodeSignatureHashAlgorithms, encodeSignatureHashAlgorithms } from '../crypto/auth.ts';
import type { ExchangeContext, Task, TaskResult } from '../sa/task.ts';
import { DONE } from '../sa/task.ts';
import { mkNotify, notify, notifies, vendorIds } from '../payload-util.ts';
import { natdHash } from '../natd.ts';
import { CISCO_VENDOR_IDS, vendorIdName } from '../vendor-ids.ts';

/** NAT_DETECTION_SOURCE_IP / _DESTINATION_IP, and the float to port 4500 that follows. */
export class NatdTask implements Task {
  readonly name = 'natd';

  private add(x: ExchangeContext, spiR: Buffer): void {
    const sa = x.sa;
    // With forced encapsulation the source hash is made to mismatch (as strongSwan does), so the
    // peer believes we are behind a NAT and both sides use ESP-in-UDP: this kernel has no ESP.
    const source = x.core.settings.forceEncap ? x.core.random.bytes(20) : natdHash(sa.spiI, spiR, sa.local);
    if (x.core.settings.forceEncap) sa.natFaked = true;
    x.out.push(mkNotify(NotifyType.NAT_DETECTION_SOURCE_IP, source), mkNotify(NotifyType.NAT_DETECTION_DESTINATION_IP, natdHash(sa.spiI, spiR, sa.remote)));
  }

  private check(x: ExchangeContext, spiR: Buffer): void {
    const sa = x.sa;
    const src = notifies(x.received).filter((n) => n.notifyType === NotifyType.NAT_DETECTION_SOURCE_IP);
    const dst = notify(x.received, NotifyType.NAT_DETECTION_DESTINATION_IP);
    if (!src.length || !dst) return; // peer does not do NAT-T
    const expectSrc = natdHash(sa.spiI, spiR, sa.remote);
    sa.natRemote = !src.some((n) => n.data.equals(expectSrc));
    sa.natLocal = !dst.data.equals(natdHash(sa.spiI, spiR, sa.local));
    if (sa.natLocal || sa.natRemote) {
      x.core.counter('nat-detected');
      sa.emit('nat-detected', `NAT detected: ${sa.natLocal ? 'we are behind a NAT' : ''}${sa.natLocal && sa.natRemote ? ', ' : ''}${sa.natRemote ? 'peer is behind a NAT (or forces UDP encapsulation)' : ''}`,
        { local: sa.natLocal, remote: sa.natRemote });
    }
  }

  buildRequest(x: ExchangeContext): void {
    this.add(x, Buffer.alloc(8));
  }

  processResponse(x: ExchangeContext): TaskResult {
    // The initiator's request hashes used a zero SPIr (RFC 7296 2.23).
    this.check(x, x.sa.spiR);
    const sa = x.sa;
    if (sa.natLocal || sa.natRemote || sa.natFaked) {
      // Float: IKE_AUTH and everything after goes 4500 -> 4500 (RFC 7296 2.23, RFC 3948).
      // An AnyConnect client floats from a random source port instead (F-AC-01): natTLocalPort.
      sa.local = { address: sa.local.address, port: x.core.settings.natTLocalPort ?? NAT_T_PORT };
      sa.remote = { address: sa.remote.address, port: NAT_T_PORT };
    }
    return DONE;
  }

  processRequest(x: ExchangeContext): TaskResult {
    this.check(x, Buffer.alloc(8));
    return DONE;
  }

  buildResponse(x: ExchangeContext): void {
    this.add(x, x.sa.spiR);
  }
}

/** RFC 7383: fragmentation is used only when both sides announced it. */
export class FragmentationSupportTask implements Task {
  readonly name = 'fragmentation-supported';

  buildRequest(x: ExchangeContext): void {
    if (x.core.settings.fragmentationMtu) x.out.push(mkNotify(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED));
  }

  processResponse(x: ExchangeContext): TaskResult {
    x.sa.peerFragmentation = !!notify(x.received, NotifyType.IKEV2_FRAGMENTATION_SUPPORTED);
    return DONE;
  }

  processRequest(x: ExchangeContext): TaskResult {
    x.sa.peerFragmentation = !!notify(x.received, NotifyType.IKEV2_FRAGMENTATION_SUPPORTED);
    return DONE;
  }

  buildResponse(x: ExchangeContext): void {
    if (x.core.settings.fragmentationMtu && x.sa.peerFragmentation) x.out.push(mkNotify(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED));
  }
}

/** RFC 7427 section 4: the hash algorithms we accept in Digital Signature AUTH payloads. */
export class SignatureHashTask implements Task {
  readonly name = 'signature-hash-algorithms';

  private read(x: ExchangeContext): TaskResult {
    const n = notify(x.received, NotifyType.SIGNATURE_HASH_ALGORITHMS);
    if (n) x.sa.peerSignatureHashes = decodeSignatureHashAlgorithms(n.data);
    return DONE;
  }

  /** Sent only when some profile signs or verifies with certificates. */
  private add(x: ExchangeContext): void {
    const wanted = x.core.profiles.some((p) => p.authLocal !== 'pre-share' || p.authRemote.some((m) => m !== 'pre-share'));
    if (wanted) x.out.push(mkNotify(NotifyType.SIGNATURE_HASH_ALGORITHMS, encodeSignatureHashAlgorithms(OUR_SIGNATURE_HASHES)));
  }

  buildRequest(x: ExchangeContext): void {
    // A client persona that does not do RFC 7427 (Windows sends no such notify) leaves it out.
    if (x.sa.profile?.signatureHashNotify !== false) this.add(x);
  }

  processResponse(x: ExchangeContext): TaskResult {
    return this.read(x);
  }

  processRequest(x: ExchangeContext): TaskResult {
    return this.read(x);
  }

  buildResponse(x: ExchangeContext): void {
    if (x.sa.peerSignatureHashes.length) this.add(x);
  }
}

/** Vendor ID payloads: ours from the profile/persona, the peer's recorded (F-CORE-10). */
export class VendorIdTask implements Task {
  readonly name = 'vendor-id';

  private ours(x: ExchangeContext): Buffer[] {
    return x.sa.profile?.vendorIds ?? x.core.settings.vendorIds ?? [];
  }

  private read(x: ExchangeContext): void {
    const sa = x.sa;
    sa.peerVendorIds = vendorIds(x.received).map((v) => v.data);
    if (sa.peerVendorIds.some((v) => v.equals(CISCO_VENDOR_IDS.FLEXVPN_SUPPORTED))) sa.peerFlexvpn = true;
    for (const v of sa.peerVendorIds) sa.emit('info', `received vendor ID: ${vendorIdName(v)}`, { vendorId: v.toString('hex'), name: vendorIdName(v) });
  }

  buildRequest(x: ExchangeContext): void {
    for (const v of this.ours(x)) x.out.push({ type: PayloadType.VENDOR_ID, data: v });
  }

  processResponse(x: ExchangeContext): TaskResult {
    this.read(x);
    return DONE;
  }

  processRequest(x: ExchangeContext): TaskResult {
    this.read(x);
    return DONE;
  }

  buildResponse(x: ExchangeContext): void {
    for (const v of this.ours(x)) x.out.push({ type: PayloadType.VENDOR_ID, data: v });
  }
}
