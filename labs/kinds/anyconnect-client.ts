// The Cisco AnyConnect IKEv2 client: our IKEv2/ESP daemon in the spoke role with the AnyConnect
// persona (engine/personas/anyconnect.ts): its XML profile, AnyConnect-EAP (aggregate
// authentication, dual-factor with a device certificate) or standard EAP, Cisco vendor IDs, auto-
// reconnect with the session token, and its checks of the headend certificate.
import { ipsecKind } from './ipsec-node.ts';
import { engineProperties, profileProperties, spokeProperties } from '../../engine/roles/config-schema.ts';
import { anyconnectConfigSchema } from '../../engine/personas/anyconnect-schema.ts';

export const anyconnectClient = ipsecKind('anyconnect-client', 'spoke', 'Cisco AnyConnect IKEv2 client persona: XML profile, AnyConnect-EAP (dual-factor), auto-reconnect', {
  configSchema: anyconnectConfigSchema(profileProperties, engineProperties, spokeProperties.tunnel!),
});
