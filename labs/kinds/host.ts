// A plain endpoint: addresses and routes from the topology, nothing running. Traffic sources and
// sinks (ping, iperf3) are started in it by scenarios or `flexlab exec`.

import type { NodeKind } from './types.ts';

export const host: NodeKind = {
  name: 'host',
  description: 'plain endpoint (addresses and routes only)',
  configSchema: { type: 'object', additionalProperties: false, properties: {} },
  async start() {},
};
