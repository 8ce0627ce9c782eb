// ESP decapsulation (RFC 4303 section 3.4), tunnel mode. Order matters: a cheap replay pre-check,
// then the ICV, and only after the ICV verified is the replay window updated (3.4.3) and the
// plaintext looked at (padding 2.4, next header, dummy packets 2.6, TFC padding 2.7).

import { createDecipheriv, createHmac, timingSafeEqual, type DecipherGCM } from 'node:crypto';
import type { DropReason, EspSa } from './sa.ts';
import { dropped, type OpenResult } from './result.ts';
import { NEXT_HEADER_IPV4, NEXT_HEADER_IPV6, NEXT_HEADER_NONE } from './encap.ts';

const ESP_HEADER = 8;

/** The SPI of an ESP packet (first 4 bytes), or -1 when too short: what the SAD looks up. */
export function espSpi(packet: Buffer): number {
  return packet.length >= ESP_HEADER ? packet.readUInt32BE(0) : -1;
}

/** The sequence number of an ESP packet (not authenticated yet). */
export function espSeq(packet: Buffer): number {
  return packet.readUInt32BE(4);
}

/**
 * Opens a tunnel-mode ESP packet: returns the inner IPv4/IPv6 packet (TFC padding removed) or why it
 * was dropped. Every drop is counted in `sa.drops`; delivered packets in `sa.packets`/`sa.bytes`.
 */
export function open(sa: EspSa, packet: Buffer): OpenResult {
  const text = decrypt(sa, packet);
  if (typeof text === 'string') return drop(sa, text);
  const end = text.length - 2 - text[text.length - 2]!;
  const nextHeader = text[text.length - 1]!;
  let innerLength: number;
  if (nextHeader === NEXT_HEADER_IPV4) {
    if (end < 20 || text[0]! >> 4 !== 4) return drop(sa, 'bad-next-header');
    innerLength = text.readUInt16BE(2);
  } else if (nextHeader === NEXT_HEADER_IPV6) {
    if (end < 40 || text[0]! >> 4 !== 6) return drop(sa, 'bad-next-header');
    innerLength = 40 + text.readUInt16BE(4);
  } else if (nextHeader === NEXT_HEADER_NONE) {
    return drop(sa, 'dummy');
  } else {
    return drop(sa, 'bad-next-header');
  }
  // The inner header's length wins over the ESP payload length: anything after it is TFC padding.
  if (innerLength > end || innerLength < 20) return drop(sa, 'malformed');
  sa.account(innerLength);
  return { ok: true, inner: text.subarray(0, innerLength), nextHeader };
}

/**
 * Opens any ESP packet and returns its payload and next header without the tunnel-mode checks of
 * open() (for known-answer vectors that carry other next headers).
 */
export function openPayload(sa: EspSa, packet: Buffer): OpenResult {
  const text = decrypt(sa, packet);
  if (typeof text === 'string') return drop(sa, text);
  const end = text.length - 2 - text[text.length - 2]!;
  sa.account(end);
  return { ok: true, inner: text.subarray(0, end), nextHeader: text[text.length - 1]! };
}

function drop(sa: EspSa, reason: DropReason): OpenResult {
  sa.drops[reason]++;
  return dropped(reason);
}

/** Authenticates, updates the replay window, decrypts and checks the padding. */
function decrypt(sa: EspSa, packet: Buffer): Buffer | DropReason {
  if (sa.hardExpired) return 'lifetime-expired';
  const ivLength = sa.ivLength;
  const icvLength = sa.icvLength;
  const textOffset = ESP_HEADER + ivLength;
  const icvOffset = packet.length - icvLength;
  const textLength = icvOffset - textOffset;
  if (textLength < 2) return 'truncated';
  if (textLength % sa.alignment !== 0 && sa.alignment > 4) return 'malformed'; // CBC needs whole blocks

  const seq = packet.readUInt32BE(4);
  const window = sa.replay;
  if (window) {
    const verdict = window.check(seq);
    if (verdict !== 'ok') return verdict;
  }

  let text: Buffer;
  if (sa.encr.aead) {
    const nonce = sa.nonce;
    packet.copy(nonce, nonce.length - ivLength, ESP_HEADER, textOffset);
    const d = createDecipheriv(sa.cipherName as 'aes-128-gcm', sa.cipherKey!, nonce, { authTagLength: icvLength }) as DecipherGCM;
    d.setAAD(packet.subarray(0, ESP_HEADER));
    d.setAuthTag(packet.subarray(icvOffset));
    text = d.update(packet.subarray(textOffset, icvOffset));
    try {
      d.final(); // the tag is checked here; the plaintext is not used unless it passes
    } catch {
      return 'integrity';
    }
    if (window) window.accept(seq);
  } else {
    if (sa.hmacKey) {
      const mac = createHmac(sa.hmacName!, sa.hmacKey).update(packet.subarray(0, icvOffset)).digest();
      if (!timingSafeEqual(mac.subarray(0, icvLength), packet.subarray(icvOffset))) return 'integrity';
    }
    if (window) window.accept(seq);
    if (sa.cipherKey) {
      try {
        const d = createDecipheriv(sa.cipherName, sa.cipherKey, packet.subarray(ESP_HEADER, textOffset));
        d.setAutoPadding(false);
        text = d.update(packet.subarray(textOffset, icvOffset));
        d.final();
      } catch {
        return 'decrypt';
      }
    } else {
      text = packet.subarray(textOffset, icvOffset);
    }
  }

  // Padding check (RFC 4303 2.4): pad length within the payload, bytes 1, 2, 3...
  const padLength = text[text.length - 2]!;
  if (padLength + 2 > text.length) return 'bad-padding';
  const padStart = text.length - 2 - padLength;
  for (let i = 0; i < padLength; i++) {
    if (text[padStart + i] !== i + 1) return 'bad-padding';
  }
  return text;
}
