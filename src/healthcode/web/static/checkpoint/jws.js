// P-256 public keys as JWK and flattened JWS documents (ES256 only), read as the server reads
// them (healthcode.codes.jwk, healthcode.codes.jws), on WebCrypto.
//
// One algorithm closes algorithm confusion: a header naming anything else is refused before a key
// is touched. A key id is the first 8 bytes of SHA-256 over the key's DER SubjectPublicKeyInfo,
// recomputed here, so a document can never give a key a name that is not its own.

export class JwkError extends Error {}
export class JwsError extends Error {}

const ES256 = "ES256";
const ECDSA_P256 = { name: "ECDSA", namedCurve: "P-256" };
const ECDSA_SHA256 = { name: "ECDSA", hash: "SHA-256" };
const KID_BYTES = 8;
const COORDINATE_BYTES = 32;
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k"];
const JWS_MEMBERS = ["payload", "protected", "signature"];
const BASE64URL = /^[A-Za-z0-9_-]*$/;
// Kept: a byte-order mark makes the server's JSON reader refuse a document, so it must here too.
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function subtle() {
  if (!globalThis.crypto?.subtle) {
    // Browsers give WebCrypto to secure contexts only: https, or http on localhost.
    throw new Error("WebCrypto is unavailable: serve the checkpoint page over HTTPS");
  }
  return globalThis.crypto.subtle;
}

export function b64urlEncode(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// Strict: no padding, no other alphabet, and only the canonical text of its bytes, because signed
// documents are compared byte for byte.
export function b64urlDecode(text) {
  if (typeof text !== "string" || !BASE64URL.test(text) || text.length % 4 === 1) {
    throw new Error("not base64url without padding");
  }
  const padded =
    text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (character) => character.charCodeAt(0));
  if (b64urlEncode(bytes) !== text) throw new Error("not the canonical base64url of its bytes");
  return bytes;
}

export function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// The key a JWK describes, checked: P-256, on the curve, public only, its kid its own.
// Resolves to { kid, cryptoKey }.
export async function publicKeyFromJwk(jwk) {
  if (!isObject(jwk)) throw new JwkError("a JWK is a JSON object");
  if (PRIVATE_MEMBERS.some((name) => Object.hasOwn(jwk, name))) {
    throw new JwkError("the JWK holds private key material; only the public half may be shared");
  }
  if (jwk.kty !== "EC" || jwk.crv !== "P-256") {
    throw new JwkError("only EC keys on P-256 (kty EC, crv P-256) are accepted");
  }
  const alg = Object.hasOwn(jwk, "alg") ? jwk.alg : ES256;
  const use = Object.hasOwn(jwk, "use") ? jwk.use : "sig";
  if (alg !== ES256 || use !== "sig") throw new JwkError("the key is not for ES256 signatures");
  const point = new Uint8Array(1 + 2 * COORDINATE_BYTES);
  point[0] = 0x04;
  point.set(coordinate(jwk, "x"), 1);
  point.set(coordinate(jwk, "y"), 1 + COORDINATE_BYTES);
  let cryptoKey;
  try {
    cryptoKey = await subtle().importKey("raw", point, ECDSA_P256, true, ["verify"]);
  } catch {
    throw new JwkError("the point is not on P-256");
  }
  const kid = await keyId(cryptoKey);
  if (Object.hasOwn(jwk, "kid") && jwk.kid !== kid) {
    throw new JwkError("its kid is not the key id of its key");
  }
  return { kid, cryptoKey };
}

async function keyId(cryptoKey) {
  const spki = await subtle().exportKey("spki", cryptoKey);
  const digest = new Uint8Array(await subtle().digest("SHA-256", spki));
  return b64urlEncode(digest.subarray(0, KID_BYTES));
}

function coordinate(jwk, name) {
  let data = new Uint8Array(0);
  try {
    if (typeof jwk[name] === "string") data = b64urlDecode(jwk[name]);
  } catch {
    // Reported below with the length check: the same message either way.
  }
  if (data.length !== COORDINATE_BYTES) {
    throw new JwkError(`${name} is not a 32-byte base64url coordinate`);
  }
  return data;
}

// The protected header, read but not verified: to choose the key to verify with.
export function protectedHeader(document) {
  const header = jsonObject(part(members(document), "protected"), "the protected header");
  if (header.alg !== ES256)
    throw new JwsError(`algorithm ${JSON.stringify(header.alg)} is not ES256`);
  if (Object.hasOwn(header, "crit"))
    throw new JwsError("critical header parameters are not supported");
  if (typeof header.kid !== "string" || typeof header.typ !== "string") {
    throw new JwsError("the protected header names no kid or no typ");
  }
  return header;
}

// The payload, not verified: only for lists inside a gateway list whose signature vouches for them.
export function unverifiedPayload(document) {
  return part(members(document), "payload");
}

// The payload bytes of `document` once its signature verifies under `cryptoKey`.
export async function verifyJws(document, cryptoKey, typ) {
  const found = members(document);
  const header = protectedHeader(document);
  if (header.typ !== typ)
    throw new JwsError(`a ${header.typ} document where a ${typ} was expected`);
  const signature = part(found, "signature");
  if (signature.length !== 2 * COORDINATE_BYTES)
    throw new JwsError("an ES256 signature is 64 bytes");
  const signingInput = new TextEncoder().encode(`${found.protected}.${found.payload}`);
  // JWS ES256 signatures are r || s, the very form WebCrypto verifies.
  if (!(await subtle().verify(ECDSA_SHA256, cryptoKey, signature, signingInput))) {
    throw new JwsError("the signature does not verify under the given key");
  }
  return part(found, "payload");
}

export function jsonObject(bytes, what) {
  let value;
  try {
    value = JSON.parse(UTF8.decode(bytes));
  } catch {
    throw new JwsError(`${what} is not UTF-8 JSON`);
  }
  if (!isObject(value)) throw new JwsError(`${what} is not a JSON object`);
  return value;
}

// Exactly the three members: nothing unsigned rides along.
function members(document) {
  const names = isObject(document) ? Object.keys(document).sort() : [];
  if (
    names.length !== JWS_MEMBERS.length ||
    names.some((name, index) => name !== JWS_MEMBERS[index])
  ) {
    throw new JwsError("not a flattened JWS: exactly protected, payload and signature");
  }
  return document;
}

function part(found, name) {
  const value = found[name];
  if (typeof value !== "string") throw new JwsError(`${name} is not text`);
  try {
    return b64urlDecode(value);
  } catch {
    throw new JwsError(`${name} is not base64url`);
  }
}
