// Link-layer header types of pcap/pcapng files (tcpdump.org/linktypes.html) that flexlab writes
// or reads, and the file format magic numbers.

export const LINKTYPE_NULL = 0; // BSD loopback: 4-byte address family in host byte order
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101; // bare IPv4/IPv6 packet
export const LINKTYPE_LOOP = 108; // OpenBSD loopback: address family in network byte order
export const LINKTYPE_LINUX_SLL = 113; // Linux "cooked" capture v1 (tcpdump -i any, old libpcap)
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276; // Linux "cooked" capture v2 (tcpdump -i any, libpcap >= 1.10)
/** DLT_RAW as some systems number it in files (OpenBSD 14, others 12): bare IP as well. */
export const DLT_RAW_ALIASES = [12, 14];

export type LinkTypeName = 'raw' | 'ethernet' | 'linux-sll' | 'linux-sll2';

export const LINKTYPE_BY_NAME: Record<LinkTypeName, number> = {
  'raw': LINKTYPE_RAW, 'ethernet': LINKTYPE_ETHERNET, 'linux-sll': LINKTYPE_LINUX_SLL, 'linux-sll2': LINKTYPE_LINUX_SLL2,
};

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const PCAPNG_IDB = 1;
export const PCAPNG_PB = 2; // obsolete Packet Block
export const PCAPNG_SPB = 3;
export const PCAPNG_EPB = 6;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const ARPHRD_ETHER = 1;
