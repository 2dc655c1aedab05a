// Verifying a health code in the browser, offline (SPEC §3, S1, A6):
// `HZ1:` + Base45(zlib(COSE_Sign1(CWT claims))), checked against verified trust lists.
//
// It mirrors the server (healthcode.tokens.codec, .claims, .cose; healthcode.codes.verification)
// layer by layer and refuses with the same Rejection names, so a code is accepted at a checkpoint
// exactly when the server would accept it. Nothing here throws on any scanned text.

import { Base45Error, b45decode } from "./base45.js";
import { CborError, CborTag, decodeCbor, encodeCbor } from "./cbor.js";
import { b64urlEncode, subtle } from "./jws.js";
import { Rejection, WHY, refusal } from "./rejections.js";
import { ListTrust, issuerProblem, keyRejectionAt } from "./trust.js";

export { Rejection, WHY, refusal } from "./rejections.js";
export {
  ListTrust,
  TrustListError,
  verifyAnyList,
  verifyGatewayList,
  verifyTrustList,
} from "./trust.js";

export const PREFIX = "HZ1:";
// The most characters one QR code holds (version 40, level L, alphanumeric).
export const MAX_TEXT_LENGTH = 4296;
// A real token inflates to ~200 bytes; the cap stops a zip bomb long before memory is at risk.
export const MAX_INFLATED_BYTES = 4096;
// Absorbs clock drift between the issuing server and an offline checkpoint (codec.DEFAULT_LEEWAY).
export const DEFAULT_LEEWAY_MS = 30_000;

const ES256 = -7;
// Half the order of P-256: for every ECDSA signature (r, s), (r, n - s) verifies too, so only the
// low-S one (s <= n/2) is accepted, as healthcode.tokens.cose makes and accepts (one code, one
// signature: a re-encoded twin of a code is refused).
const P256_HALF_ORDER =
  0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n / 2n;
const COSE_SIGN1_TAG = 18;
const [ALG, CRIT, KID] = [1, 2, 4];
const [ISSUER, SUBJECT, EXPIRES_AT, ISSUED_AT, HEALTH_CODE] = [1, 2, 4, 6, -260];
// NumericDate is whole seconds since 1970 UTC; 9999-12-31T23:59:59Z is the last the server holds.
const LAST_SECOND = 253_402_300_799;
const COLOURS = ["green", "yellow", "red"];
const VERSIONS = ["domestic", "international"];
const MEDIA = ["phone", "paper"];
// After these the signature was checked: the code's claims are genuine and may be shown.
const SIGNED = new Set([Rejection.EXPIRED, Rejection.NOT_YET_VALID]);

export class TokenError extends Error {
  constructor(reason, detail) {
    super(`${reason}: ${detail}`);
    this.reason = reason;
    this.detail = detail;
  }
}

// The layers of `text` undone, nothing yet trusted; rejects with a TokenError naming the layer.
export async function readToken(text) {
  if (typeof text !== "string" || !text.startsWith(PREFIX)) {
    throw new TokenError(Rejection.BAD_PREFIX, `a health code starts with ${PREFIX}`);
  }
  if (text.length > MAX_TEXT_LENGTH && Array.from(text).length > MAX_TEXT_LENGTH) {
    throw new TokenError(Rejection.BAD_ENCODING, "longer than any QR code holds");
  }
  let compressed;
  try {
    compressed = b45decode(text.slice(PREFIX.length));
  } catch (error) {
    if (error instanceof Base45Error) throw new TokenError(Rejection.BAD_ENCODING, error.message);
    throw error;
  }
  const sign1 = parseSign1(await inflate(compressed));
  const claims = decodeClaims(sign1.payload);
  return { kid: b64urlEncode(sign1.kid), issuer: claims.issuer, claims, sign1 };
}

// What `text` proves at `now` (a Date or milliseconds) under `trust` (a ListTrust, or verified
// trust lists). Resolves to {ok: true, issuer, kid, colour, flags, version, maskedName, medium,
// issuedAt, expiresAt, trustListAgeSeconds} or {ok: false, reason, message, refusal, issuer,
// trustListAgeSeconds, ...}: `message` is why, `refusal` the whole sentence with the other proof
// that still lets the person pass (S4); both are {zh, en}.
export async function verifyToken(text, trust, now) {
  const moment = instantOf(now);
  const trusted = trust instanceof ListTrust ? trust : new ListTrust([trust].flat());
  let token = null;
  let reason;
  try {
    token = await readToken(text);
    reason = await rejection(token, trusted, moment);
  } catch (error) {
    if (!(error instanceof TokenError)) throw error;
    reason = error.reason;
  }
  // How stale the checkpoint's knowledge of the issuer's keys is, for the operator to judge.
  const age = { trustListAgeSeconds: trusted.listAgeSeconds(token?.issuer ?? null, moment) };
  return reason === null
    ? { ok: true, ...shown(token), ...age }
    : { ...refused(reason, token), ...age };
}

// Trust first (before any signature work), then signature and times, as the server orders them.
async function rejection(token, trust, now) {
  // A name no issuer can have is refused before any look-up.
  if (issuerProblem(token.issuer) !== null) return Rejection.ISSUER_NOT_TRUSTED;
  const found = trust.findKey(token.issuer, token.kid);
  if (typeof found === "string") return found;
  if (!(await verifySign1(token.sign1, found.cryptoKey))) return Rejection.BAD_SIGNATURE;
  const { issuedAt, expiresAt } = token.claims;
  if (now - DEFAULT_LEEWAY_MS > expiresAt * 1000) return Rejection.EXPIRED;
  if (issuedAt * 1000 > now + DEFAULT_LEEWAY_MS) return Rejection.NOT_YET_VALID;
  return keyRejectionAt(found, now, DEFAULT_LEEWAY_MS);
}

function refused(reason, token) {
  const result = { ok: false, reason, message: WHY[reason], refusal: refusal(reason) };
  // Unverified claims are never shown as facts: only whom the code claims to come from.
  if (token === null) return { ...result, issuer: null };
  return SIGNED.has(reason) ? { ...result, ...shown(token) } : { ...result, issuer: token.issuer };
}

function shown(token) {
  const { claims } = token;
  return {
    issuer: claims.issuer,
    kid: token.kid,
    colour: claims.colour,
    flags: claims.flags,
    version: claims.version,
    maskedName: claims.maskedName,
    medium: claims.medium,
    issuedAt: new Date(claims.issuedAt * 1000),
    expiresAt: new Date(claims.expiresAt * 1000),
  };
}

function instantOf(now) {
  const moment = now instanceof Date ? now.getTime() : now;
  if (typeof moment !== "number" || !Number.isFinite(moment)) {
    // Time is always passed in: a verifier that read the clock itself could not be tested.
    throw new TypeError("now must be a Date or milliseconds since 1970");
  }
  return moment;
}

async function inflate(compressed) {
  const reader = new Blob([compressed])
    .stream()
    .pipeThrough(new DecompressionStream("deflate"))
    .getReader();
  const chunks = [];
  let total = 0;
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      total += chunk.value.length;
      if (total > MAX_INFLATED_BYTES) {
        reader.cancel().catch(() => {});
        throw new TokenError(
          Rejection.BAD_COMPRESSION,
          `inflates past ${MAX_INFLATED_BYTES} bytes`,
        );
      }
      chunks.push(chunk.value);
    }
  } catch (error) {
    if (error instanceof TokenError) throw error;
    // The stream refuses a cut-short stream, a bad checksum and bytes after the end alike.
    throw new TokenError(Rejection.BAD_COMPRESSION, `not a whole zlib stream: ${error.message}`);
  }
  const inflated = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    inflated.set(chunk, offset);
    offset += chunk.length;
  }
  return inflated;
}

function decode(bytes) {
  try {
    return decodeCbor(bytes);
  } catch (error) {
    if (error instanceof CborError) throw malformed(`not CBOR: ${error.message}`);
    throw error;
  }
}

// The parts of a COSE_Sign1 (RFC 9052), tagged, ES256 only. The algorithm and the key id are read
// from the protected header alone: the unprotected one is not covered by the signature.
function parseSign1(bytes) {
  const message = decode(bytes);
  if (!(message instanceof CborTag) || message.tag !== COSE_SIGN1_TAG) {
    throw malformed("not a tagged COSE_Sign1");
  }
  const parts = message.value;
  if (!Array.isArray(parts) || parts.length !== 4)
    throw malformed("a COSE_Sign1 is an array of four");
  const [protectedBytes, unprotected, payload, signature] = parts;
  if (
    !(protectedBytes instanceof Uint8Array) ||
    !(unprotected instanceof Map) ||
    !(payload instanceof Uint8Array) ||
    !(signature instanceof Uint8Array)
  ) {
    throw malformed("COSE_Sign1 parts are bstr, map, bstr (no detached payload), bstr");
  }
  if ([ALG, CRIT, KID].some((label) => unprotected.has(label))) {
    throw malformed("alg, crit or kid in the unprotected header would not be signed");
  }
  const header = protectedBytes.length ? decode(protectedBytes) : new Map();
  if (!(header instanceof Map)) throw malformed("the protected header is not a map");
  if (header.has(CRIT)) throw malformed("critical header parameters are not supported");
  const alg = header.get(ALG);
  if (alg !== ES256) throw malformed(`algorithm ${String(alg)} is not ES256 (${ES256})`);
  const kid = header.get(KID);
  if (!(kid instanceof Uint8Array) || !kid.length)
    throw malformed("no key id in the protected header");
  return { protectedBytes, kid, alg, payload, signature };
}

async function verifySign1(sign1, cryptoKey) {
  if (sign1.alg !== ES256 || sign1.signature.length !== 64) return false;
  if (bigEndian(sign1.signature.subarray(32)) > P256_HALF_ORDER) return false;
  // The Sig_structure of RFC 9052 §4.4, with no external additional data.
  const toBeSigned = encodeCbor([
    "Signature1",
    sign1.protectedBytes,
    new Uint8Array(0),
    sign1.payload,
  ]);
  // COSE ES256 signatures are r || s, the very form WebCrypto verifies.
  return subtle().verify(
    { name: "ECDSA", hash: "SHA-256" },
    cryptoKey,
    sign1.signature,
    toBeSigned,
  );
}

function bigEndian(bytes) {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

// The CWT claims (RFC 8392) and the private claim -260 with its text keys. Claims this version
// does not know are ignored, as RFC 8392 asks, so a later version can add some.
function decodeClaims(payload) {
  const claims = claimMap(decode(payload), "the claim set");
  const code = claimMap(claims.get(HEALTH_CODE), `claim ${HEALTH_CODE}`);
  const issuedAt = numericDate(claims.get(ISSUED_AT), "iat");
  const expiresAt = numericDate(claims.get(EXPIRES_AT), "exp");
  if (expiresAt <= issuedAt) throw malformed("exp is not after iat");
  return {
    issuer: claimText(claims.get(ISSUER), "iss"),
    subject: claimText(claims.get(SUBJECT), "sub"),
    issuedAt,
    expiresAt,
    colour: oneOf(COLOURS, code.get("c"), "colour"),
    flags: flagList(code.get("f")),
    version: oneOf(VERSIONS, code.get("v"), "version"),
    maskedName: claimText(code.get("n"), "masked name"),
    medium: oneOf(MEDIA, code.get("p"), "medium"),
  };
}

function claimMap(value, name) {
  if (!(value instanceof Map)) throw malformed(`${name} is not a map`);
  return value;
}

function numericDate(value, name) {
  if (typeof value !== "number" || value < 0 || value > LAST_SECOND) {
    throw malformed(`${name} is not a NumericDate in whole seconds`);
  }
  return value;
}

function claimText(value, name) {
  if (typeof value !== "string" || !value) throw malformed(`${name} is missing or not text`);
  return value;
}

function flagList(value) {
  if (!Array.isArray(value)) throw malformed("flags are not a list");
  return value.map((flag) => claimText(flag, "a flag"));
}

function oneOf(allowed, value, name) {
  const text = claimText(value, name);
  if (!allowed.includes(text)) throw malformed(`unknown ${name} ${JSON.stringify(text)}`);
  return text;
}

function malformed(detail) {
  return new TokenError(Rejection.BAD_STRUCTURE, detail);
}
