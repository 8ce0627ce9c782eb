// The Windows built-in IKEv2 client ("Agile VPN"): our IKEv2/ESP daemon in the spoke role with the
// Windows persona (engine/personas/windows.ts): Windows' proposals, vendor IDs, IKE_AUTH without
// IDr, CP request with the Microsoft server attributes, EAP-MSCHAPv2 or machine certificate, its
// certificate rules and error numbers, 580-byte IKE fragments and its rekey/routing quirks.
import { ipsecKind } from './ipsec-node.ts';
import { engineProperties, profileProperties, spokeProperties } from '../../engine/roles/config-schema.ts';
import { windowsConfigSchema } from '../../engine/personas/windows-schema.ts';

export const windowsClient = ipsecKind('windows-client', 'spoke', 'Windows IKEv2 client persona: EAP-MSCHAPv2 or machine certificate, Windows proposals, certificate rules and quirks', {
  configSchema: windowsConfigSchema(profileProperties, engineProperties, spokeProperties.tunnel!),
});
