// The EAP server (RFC 3748 section 2, the "backend authentication server"): what the built-in RADIUS
// server runs for each EAP conversation, and what a NAS can run locally. It asks for the identity
// (or starts from a Response/Identity the NAS relayed, as in RADIUS pass-through, RFC 3579 2.1),
// chooses the first method both its configuration and the user allow, switches method once on a Nak
// (section 5.3), and ends with EAP-Success (with the MSK of a key-generating method) or EAP-Failure,
// whose Identifier is that of the Response it answers (section 4.2).

import { EAP_METHOD_TYPES, EXPANDED_NAK_VENDOR_TYPE, EapCode, EapType, eapMethodName, eapTypeName } from './constants.ts';
import type { EapMethodName } from './constants.ts';
import { isEapParseError } from './errors.ts';
import { decodeEap, describeEap, encodeEap, failurePacket, identityRequest, nakDesiredTypes, successPacket } from './packet.ts';
import type { EapPacket } from './packet.ts';
import type { EapServerMethod, ServerMethodContext } from './method.ts';
import { Md5ServerMethod } from './methods/md5.ts';
import { GtcServerMethod } from './methods/gtc.ts';
import { MsChapV2ServerMethod } from './methods/mschapv2.ts';
import { cryptoRandom } from '../util/random.ts';
import type { RandomSource } from '../util/random.ts';

export interface EapUserRecord {
  password: string;
  /** Methods allowed for this user, in its order of preference (default: all the server's, in the server's order). */
  methods?: readonly EapMethodName[];
}

export interface EapServerOptions {
  /** Methods the server offers, in order of preference; the first one the user may use is proposed. */
  methods: readonly EapMethodName[];
  lookup(identity: string): EapUserRecord | undefined;
  random?: RandomSource;
  /** Name in MD5 and MSCHAPv2 challenges. */
  serverName?: string;
  /** GTC prompt. */
  gtcPrompt?: string;
  /** Identifier of the first Request when the server starts the conversation (default: random). */
  firstIdentifier?: number;
  /** Bound on Request/Response rounds, against a peer that never finishes (default 20). */
  maxRounds?: number;
}

export type EapServerResult =
  /** Send this Request to the peer (in RADIUS: Access-Challenge). */
  | { kind: 'send'; packet: EapPacket; bytes: Buffer; note: string }
  /** Send this EAP-Success (RADIUS: Access-Accept); `msk` for key-generating methods. */
  | { kind: 'success'; packet: EapPacket; bytes: Buffer; identity: string; method: EapMethodName; msk?: Buffer }
  /** Send this EAP-Failure (RADIUS: Access-Reject). */
  | { kind: 'failure'; packet: EapPacket; bytes: Buffer; reason: string; identity?: string; method?: EapMethodName }
  /** Discarded (RFC 3748 section 4): no answer. */
  | { kind: 'ignore'; reason: string };

export function createServerMethod(name: EapMethodName, ctx: ServerMethodContext, gtcPrompt?: string): EapServerMethod {
  switch (name) {
    case 'md5': return new Md5ServerMethod(ctx);
    case 'gtc': return new GtcServerMethod(ctx, gtcPrompt);
    case 'mschapv2': return new MsChapV2ServerMethod(ctx);
  }
}

export class EapServer {
  identity?: string;
  private user?: EapUserRecord;
  private method?: EapServerMethod;
  /** The method's first Request is outstanding: a Nak is allowed only now (RFC 3748 5.3.1). */
  private nakAllowed = false;
  private readonly tried = new Set<EapMethodName>();
  private readonly random: RandomSource;
  private current?: { identifier: number; bytes: Buffer; packet: EapPacket };
  private state: 'new' | 'identity' | 'method' | 'done' = 'new';
  private rounds = 0;

  constructor(private readonly opts: EapServerOptions) {
    this.random = opts.random ?? cryptoRandom;
  }

  get methodName(): EapMethodName | undefined {
    return this.method?.name;
  }

  /** The outstanding Request, for a retransmission by the caller. */
  get outstanding(): Buffer | undefined {
    return this.state === 'done' ? undefined : this.current?.bytes;
  }

  /** Starts by asking for the identity. (Pass-through servers skip this and call process() with the relayed Response/Identity.) */
  start(): EapServerResult {
    const id = this.opts.firstIdentifier ?? this.random.bytes(1)[0]!;
    this.state = 'identity';
    return this.request(identityRequest(id), 'identity request');
  }

  process(input: Buffer | EapPacket): EapServerResult {
    let p: EapPacket;
    try {
      p = Buffer.isBuffer(input) ? decodeEap(input) : input;
    } catch (e) {
      if (isEapParseError(e)) return { kind: 'ignore', reason: e.message };
      throw e;
    }
    if (this.state === 'done') return { kind: 'ignore', reason: `${describeEap(p)} after the conversation ended` };
    if (p.code !== EapCode.Response) return { kind: 'ignore', reason: `${describeEap(p)}: a server takes Responses only` };
    if (this.state !== 'new' && p.identifier !== this.current?.identifier) {
      return { kind: 'ignore', reason: `${describeEap(p)} does not answer the outstanding Request (id ${this.current?.identifier})` };
    }
    if (++this.rounds > (this.opts.maxRounds ?? 20)) return this.fail(p.identifier, 'too many EAP rounds');
    try {
      return this.response(p);
    } catch (e) {
      if (isEapParseError(e)) return { kind: 'ignore', reason: `${describeEap(p)}: ${e.message}` };
      throw e;
    }
  }

  private response(p: EapPacket): EapServerResult {
    if (p.type === EapType.Identity && (this.state === 'new' || this.state === 'identity')) {
      this.identity = p.data.toString('utf8');
      this.user = this.opts.lookup(this.identity);
      if (!this.user) return this.fail(p.identifier, `unknown user "${this.identity}"`);
      const name = this.allowed().find((m) => !this.tried.has(m));
      if (!name) return this.fail(p.identifier, `no EAP method allowed for "${this.identity}"`);
      return this.begin(name, p.identifier);
    }
    if (this.state !== 'method' || !this.method) return { kind: 'ignore', reason: `${describeEap(p)} before the identity` };
    if (p.type === EapType.Nak || (p.type === EapType.Expanded && p.vendorId === 0 && p.vendorType === EXPANDED_NAK_VENDOR_TYPE)) {
      if (!this.nakAllowed) return { kind: 'ignore', reason: 'Nak after the method started' };
      const desired = p.type === EapType.Nak ? nakDesiredTypes(p) : expandedNakTypes(p.data);
      const allowed = this.allowed();
      const next = desired.map(eapMethodName).find((m): m is EapMethodName => m !== undefined && allowed.includes(m) && !this.tried.has(m));
      if (!next) {
        return this.fail(p.identifier, `peer Nak'd ${this.method.name} asking for ${desired.map(eapTypeName).join(', ') || 'nothing'}; none of them is allowed`);
      }
      return this.begin(next, p.identifier);
    }
    if (p.type !== this.method.type) return { kind: 'ignore', reason: `${describeEap(p)} while running ${this.method.name}` };
    this.nakAllowed = false;
    const step = this.method.process(p, (p.identifier + 1) & 0xff);
    switch (step.kind) {
      case 'send':
        return this.request(step.packet, `${this.method.name} request`);
      case 'success': {
        this.state = 'done';
        const packet = successPacket(p.identifier);
        return { kind: 'success', packet, bytes: encodeEap(packet), identity: this.identity!, method: this.method.name, ...(step.msk ? { msk: step.msk } : {}) };
      }
      case 'failure':
        return this.fail(p.identifier, step.reason);
    }
  }

  /** The user's methods in the user's order of preference, else the server's; only those the server runs. */
  private allowed(): EapMethodName[] {
    const user = this.user?.methods;
    return user ? user.filter((m) => this.opts.methods.includes(m)) : [...this.opts.methods];
  }

  private begin(name: EapMethodName, lastIdentifier: number): EapServerResult {
    this.tried.add(name);
    this.method = createServerMethod(name, {
      identity: this.identity!, password: this.user!.password, random: this.random, serverName: this.opts.serverName ?? 'flexlab',
    }, this.opts.gtcPrompt);
    this.state = 'method';
    this.nakAllowed = true;
    return this.request(this.method.initiate((lastIdentifier + 1) & 0xff), `${name} start (type ${EAP_METHOD_TYPES[name]})`);
  }

  private request(packet: EapPacket, note: string): EapServerResult {
    const bytes = encodeEap(packet);
    this.current = { identifier: packet.identifier, bytes, packet };
    return { kind: 'send', packet, bytes, note };
  }

  private fail(identifier: number, reason: string): EapServerResult {
    this.state = 'done';
    const packet = failurePacket(identifier);
    return {
      kind: 'failure', packet, bytes: encodeEap(packet), reason,
      ...(this.identity !== undefined ? { identity: this.identity } : {}), ...(this.method ? { method: this.method.name } : {}),
    };
  }
}

function expandedNakTypes(data: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 8 <= data.length; i += 8) {
    if (data[i] === EapType.Expanded && data.readUIntBE(i + 1, 3) === 0) {
      const t = data.readUInt32BE(i + 4);
      if (t !== 0) out.push(t);
    }
  }
  return out;
}
