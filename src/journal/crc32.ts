// CRC-32 (IEEE) of a string's UTF-8 bytes as 8 hex digits: the journal's per-line checksum.
const TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

export function crc32(text: string): string {
  // ASCII (nearly every journal line) is hashed from the string itself: no Buffer per line.
  let c = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch >= 0x80) return crc32Bytes(Buffer.from(text, 'utf8'));
    c = TABLE[(c ^ ch) & 0xff]! ^ (c >>> 8);
  }
  return hex(c);
}

function crc32Bytes(buf: Buffer): string {
  let c = -1;
  for (let i = 0; i < buf.length; i++) c = TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return hex(c);
}

const hex = (c: number): string => ((c ^ -1) >>> 0).toString(16).padStart(8, '0');
