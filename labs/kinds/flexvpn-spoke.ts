// FlexVPN spoke: our IKEv2 initiator of a static tunnel to the hub (`connect auto`).
import { ipsecKind } from './ipsec-node.ts';

export const flexvpnSpoke = ipsecKind('flexvpn-spoke', 'spoke', 'FlexVPN spoke: IKEv2 initiator of a static tunnel interface');
