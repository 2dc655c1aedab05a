// Base45 (RFC 9285) decoding, refusing everything the RFC calls an error, as the server does
// (healthcode.tokens.base45): two texts must never read as the same bytes.

export const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const BASE = ALPHABET.length;

export class Base45Error extends Error {}

export function b45decode(text) {
  if (text.length % 3 === 1) {
    throw new Base45Error(`a length of ${text.length} leaves one character`);
  }
  const digits = Array.from(text, (character) => {
    const digit = ALPHABET.indexOf(character);
    if (digit < 0) {
      throw new Base45Error(`${JSON.stringify(character)} is not a Base45 character`);
    }
    return digit;
  });
  const whole = digits.length - (digits.length % 3);
  const out = new Uint8Array((whole / 3) * 2 + (digits.length % 3 === 2 ? 1 : 0));
  let at = 0;
  for (let index = 0; index < whole; index += 3) {
    const pair = digits[index] + digits[index + 1] * BASE + digits[index + 2] * BASE * BASE;
    if (pair > 0xffff) throw new Base45Error(`${pair} does not fit two bytes`);
    out[at] = pair >> 8;
    out[at + 1] = pair & 0xff;
    at += 2;
  }
  if (digits.length % 3 === 2) {
    const last = digits[whole] + digits[whole + 1] * BASE;
    if (last > 0xff) throw new Base45Error(`${last} does not fit the one byte a final pair holds`);
    out[at] = last;
  }
  return out;
}
