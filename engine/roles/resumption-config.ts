// The RFC 5723 keys of a node's `config` block (schema in config-schema.ts) as engine objects:
// `resumption` on a responder profile (grant tickets; the node-wide ticket key), `resume` and
// `resume-timeout` on a client connection. Any spoke-like kind (personas, the FlexVPN client)
// can spread `resumeOptions(cfg)` into its ConnectionConfig.

import type { ConnectionConfig } from '../ike/engine.ts';
import type { ResumptionPolicy, ResumptionSettings } from '../ike/resumption/service.ts';
import { DEFAULT_TICKET_LIFETIME } from '../ike/resumption/service.ts';
import { keyMaterialFromSecret } from '../ike/resumption/ticket.ts';

type Cfg = Record<string, unknown>;
type ResumptionBlock = { enabled?: boolean; 'ticket-lifetime'?: number; 'ticket-key'?: string } | undefined;

/** `resumption: {...}` of a profile: whether it grants tickets and for how long. */
export function resumptionPolicy(v: unknown): ResumptionPolicy | undefined {
  const r = v as ResumptionBlock;
  if (!r) return undefined;
  return { enabled: r.enabled !== false, ticketLifetime: r['ticket-lifetime'] ?? DEFAULT_TICKET_LIFETIME };
}

/**
 * Where the ticket protection key comes from (`resumption.ticket-key`): "state" (default, the daemon
 * keeps a random key in the state directory), "memory", or a secret the key is derived from here.
 */
export function resumptionSettings(v: unknown): ResumptionSettings | undefined {
  const r = v as ResumptionBlock;
  if (!r || r.enabled === false) return undefined;
  const k = r['ticket-key'] ?? 'state';
  if (k === 'state') return { keySource: 'state file' };
  if (k === 'memory') return { keySource: 'memory' };
  return { keySource: 'secret', ticketKey: keyMaterialFromSecret(k) };
}

/** `resume: true` [`resume-timeout: N`] of a client connection. */
export function resumeOptions(cfg: Cfg): Pick<ConnectionConfig, 'resume' | 'resumeTimeout'> {
  return cfg.resume === true ? { resume: true, resumeTimeout: cfg['resume-timeout'] as number | undefined } : {};
}
