// pcap/pcapng writing and reading for tests, the tshark wire check and reports.

export * from './linktype.ts';
export { internetChecksum, udpChecksum, udpChecksumValid } from './checksum.ts';
export { buildUdp, buildUdpIpPackets, parseIpPacket, type IpPacket, type UdpPacketSpec } from './packet.ts';
export { NON_ESP_MARKER, PcapWriter, type PcapWriterOptions, type UdpFrameSpec } from './writer.ts';
export { PcapFormatError, readCapture, readCaptureFile, type Capture, type CaptureRecord } from './reader.ts';
export { ipFromFrame, udpDatagrams, type UdpDatagram, type UdpDatagramOptions } from './datagrams.ts';
export { classifyUdp, DEFAULT_IKE_PORTS, ikeDatagrams, type IkeDatagram, type IkePorts, type UdpIkeKind } from './ike.ts';
