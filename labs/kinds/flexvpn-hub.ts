// FlexVPN server: our IKEv2 responder, a virtual-access interface per session (F-SRV-01).
import { ipsecKind } from './ipsec-node.ts';

export const flexvpnHub = ipsecKind('flexvpn-hub', 'hub', 'FlexVPN hub: IKEv2 responder, one virtual-access interface per session');
