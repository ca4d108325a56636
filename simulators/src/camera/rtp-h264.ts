/**
 * RTP payload format for H.264 (RFC 6184), packetization-mode 1 subset:
 * NAL units that fit go as single NAL unit packets (§5.6), larger ones as
 * FU-A fragments (§5.8). 1400-byte payloads keep packets under a typical MTU
 * even though RTSP-interleaved TCP would allow more: it is what cameras send.
 */

export const rtpClockRate = 90_000;
export const h264PayloadType = 96;
const fuA = 28;

/** Payloads for one access unit, in order; the last one carries the RTP marker bit. */
export function h264RtpPayloads(nals: readonly Buffer[], maxPayload = 1400): Buffer[] {
  const out: Buffer[] = [];
  for (const nal of nals) {
    if (nal.length <= maxPayload) {
      out.push(nal);
      continue;
    }
    const header = nal[0];
    const indicator = (header & 0xe0) | fuA;
    const type = header & 0x1f;
    const chunk = maxPayload - 2;
    for (let offset = 1; offset < nal.length; offset += chunk) {
      const end = Math.min(offset + chunk, nal.length);
      const fuHeader = (offset === 1 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
      out.push(Buffer.concat([Buffer.from([indicator, fuHeader]), nal.subarray(offset, end)]));
    }
  }
  return out;
}

/** RTP fixed header (RFC 3550 §5.1), version 2, no padding, extension or CSRCs. */
export function rtpHeader(seq: number, timestamp: number, ssrc: number, marker: boolean, payloadType = h264PayloadType): Buffer {
  const h = Buffer.allocUnsafe(12);
  h[0] = 0x80;
  h[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  h.writeUInt16BE(seq & 0xffff, 2);
  h.writeUInt32BE(timestamp >>> 0, 4);
  h.writeUInt32BE(ssrc >>> 0, 8);
  return h;
}

/** RTCP sender report without report blocks (RFC 3550 §6.4.1). */
export function rtcpSenderReport(ssrc: number, wallClockMs: number, rtpTimestamp: number, packets: number, octets: number): Buffer {
  const b = Buffer.alloc(28);
  b[0] = 0x80;
  b[1] = 200;
  b.writeUInt16BE(6, 2);
  b.writeUInt32BE(ssrc >>> 0, 4);
  // NTP time: seconds since 1900 and a 32-bit fraction.
  const ntpSeconds = Math.floor(wallClockMs / 1000) + 2_208_988_800;
  const fraction = Math.floor(((wallClockMs % 1000) / 1000) * 2 ** 32);
  b.writeUInt32BE(ntpSeconds >>> 0, 8);
  b.writeUInt32BE(fraction >>> 0, 12);
  b.writeUInt32BE(rtpTimestamp >>> 0, 16);
  b.writeUInt32BE(packets >>> 0, 20);
  b.writeUInt32BE(octets >>> 0, 24);
  return b;
}

/** RFC 2326 §10.12 interleaved frame: '$', channel, 16-bit length, then the packet. */
export function interleavedFrame(channel: number, ...parts: Buffer[]): Buffer {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const head = Buffer.from([0x24, channel, (length >> 8) & 0xff, length & 0xff]);
  return Buffer.concat([head, ...parts], 4 + length);
}

/** The SDP fmtp value for an H.264 stream (RFC 6184 §8.1). */
export function h264Fmtp(sps: Buffer, pps: Buffer): string {
  const profileLevelId = sps.subarray(1, 4).toString('hex').toUpperCase();
  return `packetization-mode=1;profile-level-id=${profileLevelId};sprop-parameter-sets=${sps.toString('base64')},${pps.toString('base64')}`;
}
