// containerlab's generic `linux` kind, so plain containerlab topologies load: in a namespace lab it
// is a host. containerlab's own `config` block ({vars}) is accepted and unused.

import { host } from './host.ts';
import type { NodeKind } from './types.ts';

export const linux: NodeKind = {
  ...host,
  name: 'linux',
  description: "containerlab's generic kind, run as a host",
  configSchema: { type: 'object', additionalProperties: false, properties: { vars: { type: 'object' } } },
};
