// The CBOR (RFC 8949) a health code needs, read as strictly as the server reads it
// (healthcode.tokens.cose.decode_cbor): one item and nothing after it, definite lengths only, no
// duplicate map keys, bounded nesting. A signed token has exactly one reading; anything looser
// would let a checkpoint and the server disagree about what a code says.

export class CborError extends Error {}

// Floats are kept apart from integers: a NumericDate or an algorithm id must be a CBOR integer,
// and a JavaScript number alone cannot tell 1 from 1.0.
export class CborFloat {
  constructor(value) {
    this.value = value;
  }
}

export class CborTag {
  constructor(tag, value) {
    this.tag = tag;
    this.value = value;
  }
}

export class CborSimple {
  constructor(value) {
    this.value = value;
  }
}

// A token nests four levels at most (tag, array, claims map, flag list); the same headroom as
// the server's decoder.
const MAX_DEPTH = 16;
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function decodeCbor(bytes) {
  const reader = new Reader(bytes);
  const item = reader.item(0);
  if (reader.offset !== bytes.length) {
    throw new CborError(`${bytes.length - reader.offset} byte(s) after the CBOR item`);
  }
  return item;
}

class Reader {
  constructor(bytes) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = 0;
  }

  take(count) {
    if (count > this.bytes.length - this.offset) throw new CborError("the CBOR item is cut short");
    const start = this.offset;
    this.offset += count;
    return start;
  }

  // The argument of a head: a number, or a BigInt past what a double holds exactly.
  argument(info) {
    if (info < 24) return info;
    if (info === 24) return this.view.getUint8(this.take(1));
    if (info === 25) return this.view.getUint16(this.take(2));
    if (info === 26) return this.view.getUint32(this.take(4));
    if (info === 27) return safe(this.view.getBigUint64(this.take(8)));
    if (info === 31) throw new CborError("indefinite lengths are not accepted");
    throw new CborError(`reserved additional information ${info}`);
  }

  length(info) {
    const length = this.argument(info);
    if (typeof length !== "number" || length > this.bytes.length - this.offset) {
      throw new CborError("a length runs past the end of the data");
    }
    return length;
  }

  item(depth) {
    if (depth > MAX_DEPTH) throw new CborError(`nested deeper than ${MAX_DEPTH}`);
    const head = this.view.getUint8(this.take(1));
    const major = head >> 5;
    const info = head & 0x1f;
    switch (major) {
      case 0:
        return this.argument(info);
      case 1:
        return negative(this.argument(info));
      case 2: {
        const length = this.length(info);
        return this.bytes.slice(this.take(length), this.offset);
      }
      case 3: {
        const length = this.length(info);
        const start = this.take(length);
        try {
          return UTF8.decode(this.bytes.subarray(start, this.offset));
        } catch {
          throw new CborError("a text string is not UTF-8");
        }
      }
      case 4:
        return this.array(this.length(info), depth);
      case 5:
        return this.map(this.length(info), depth);
      case 6:
        return tagged(this.argument(info), this.item(depth + 1));
      default:
        return this.simple(info);
    }
  }

  array(length, depth) {
    const items = [];
    for (let index = 0; index < length; index += 1) items.push(this.item(depth + 1));
    return items;
  }

  map(length, depth) {
    const entries = new Map();
    const seen = new Set();
    for (let index = 0; index < length; index += 1) {
      const start = this.offset;
      const key = this.item(depth + 1);
      const identity = keyIdentity(key, this.bytes.subarray(start, this.offset));
      if (seen.has(identity)) throw new CborError("a map repeats a key");
      seen.add(identity);
      entries.set(key, this.item(depth + 1));
    }
    return entries;
  }

  simple(info) {
    if (info === 20) return false;
    if (info === 21) return true;
    if (info === 22) return null;
    if (info === 23) return undefined;
    if (info === 25) return new CborFloat(halfFloat(this.view.getUint16(this.take(2))));
    if (info === 26) return new CborFloat(this.view.getFloat32(this.take(4)));
    if (info === 27) return new CborFloat(this.view.getFloat64(this.take(8)));
    if (info === 31) throw new CborError("a break outside an indefinite-length item");
    if (info === 24) {
      const value = this.view.getUint8(this.take(1));
      if (value < 32) throw new CborError("a simple value in two bytes below 32");
      return new CborSimple(value);
    }
    if (info < 20) return new CborSimple(info);
    throw new CborError(`reserved additional information ${info}`);
  }
}

function safe(big) {
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function negative(argument) {
  return typeof argument === "number" ? -1 - argument : safe(-1n - argument);
}

// Tags 2 and 3 are integers written as bytes: the server's decoder reads them as integers too.
function tagged(tag, value) {
  if ((tag === 2 || tag === 3) && value instanceof Uint8Array) {
    let big = 0n;
    for (const byte of value) big = (big << 8n) | BigInt(byte);
    const number = safe(big);
    if (tag === 2) return number;
    return typeof number === "number" ? -1 - number : safe(-1n - big);
  }
  return new CborTag(tag, value);
}

function halfFloat(bits) {
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

// Keys that decode to the same value are the same key, whatever bytes wrote them (1 written in
// one byte or in two): the server's decoder compares decoded keys too.
function keyIdentity(key, encoded) {
  if (typeof key === "number" || typeof key === "bigint") return `i${key}`;
  if (typeof key === "string") return `s${key}`;
  if (key instanceof Uint8Array) return `b${hex(key)}`;
  if (key === null || typeof key === "boolean" || key === undefined) return `x${key}`;
  if (key instanceof CborFloat) {
    return Number.isInteger(key.value) ? `i${key.value}` : `f${key.value}`;
  }
  return `r${hex(encoded)}`;
}

function hex(bytes) {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// The encoder only writes what a Sig_structure holds: arrays, text and byte strings.
export function encodeCbor(value) {
  const parts = [];
  write(value, parts);
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function write(value, parts) {
  if (value instanceof Uint8Array) {
    parts.push(head(2, value.length), value);
  } else if (typeof value === "string") {
    const bytes = new TextEncoder().encode(value);
    parts.push(head(3, bytes.length), bytes);
  } else if (Array.isArray(value)) {
    parts.push(head(4, value.length));
    for (const item of value) write(item, parts);
  } else {
    throw new TypeError("only arrays, text and byte strings are encoded");
  }
}

// The shortest head for `length`, as RFC 8949 §4.2.1 (and cbor2) write it.
function head(major, length) {
  const type = major << 5;
  if (length < 24) return Uint8Array.of(type | length);
  if (length < 0x100) return Uint8Array.of(type | 24, length);
  if (length < 0x10000) return Uint8Array.of(type | 25, length >> 8, length & 0xff);
  const bytes = new Uint8Array(5);
  bytes[0] = type | 26;
  new DataView(bytes.buffer).setUint32(1, length);
  return bytes;
}
