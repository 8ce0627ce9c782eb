// An IP router: forwards IPv4 and IPv6 between its interfaces using the topology's static routes.

import type { NodeKind } from './types.ts';

export const forwardingSysctls = {
  'net.ipv4.ip_forward': '1',
  'net.ipv6.conf.all.forwarding': '1',
};

export const router: NodeKind = {
  name: 'router',
  description: 'IPv4/IPv6 forwarding with static routes',
  configSchema: { type: 'object', additionalProperties: false, properties: {} },
  sysctls: () => ({ ...forwardingSysctls }),
  async start() {},
};
