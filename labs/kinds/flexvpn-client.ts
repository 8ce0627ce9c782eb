// The IOS FlexVPN client (S0 "Configuring the FlexVPN Client", F-CLI-01..17): one or more
// `crypto ikev2 client flexvpn` blocks, each with a peer list (backup gateways, tracks, FQDN peers),
// a connect mode, peer reactivate, backup group and its own tunnel interface; dual FlexVPN, NAT of
// inside hosts and the split-DNS proxy. Our IKEv2/ESP daemon with the client role.
import { ipsecKind } from './ipsec-node.ts';

export const flexvpnClient = ipsecKind('flexvpn-client', 'client', 'FlexVPN client: backup gateway list, tracking, reactivation, backup groups, dual tunnels');
