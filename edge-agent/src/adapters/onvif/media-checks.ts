/**
 * Sanity checks on what a camera hands over, before it goes to the hub as
 * evidence: a JPEG must be whole (SOI … EOI) and say its size; an MP4 must
 * start with its `ftyp` box (ISO/IEC 14496-12 §4.3).
 */

/** Width and height of a JPEG from its start-of-frame marker, or undefined if it is not a whole JPEG. */
export function jpegInfo(jpeg: Buffer): { width: number; height: number } | undefined {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return undefined;
  // A whole picture ends with EOI; some cameras pad after it, so look at the tail, not the last two bytes.
  if (jpeg.subarray(Math.max(0, jpeg.length - 64)).lastIndexOf(Buffer.from([0xff, 0xd9])) < 0) return undefined;
  let i = 2;
  while (i + 9 < jpeg.length) {
    if (jpeg[i] !== 0xff) return undefined;
    const marker = jpeg[i + 1];
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    const length = jpeg.readUInt16BE(i + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: jpeg.readUInt16BE(i + 5), width: jpeg.readUInt16BE(i + 7) };
    }
    if (marker === 0xda) return undefined; // scan data before any frame header
    i += 2 + length;
  }
  return undefined;
}

export function isMp4(data: Buffer): boolean {
  return data.length >= 12 && data.toString('latin1', 4, 8) === 'ftyp';
}

/** Bytes of a payload whose base64 must fit in `budget` bytes. */
export function maxRawBytesForBase64(budget: number): number {
  return Math.floor(budget / 4) * 3;
}
