// Trust lists in the browser (SPEC §3), read as the server reads them (healthcode.codes.trust_list,
// .gateway, .trust): a list counts only once it verifies under a root key the checkpoint was
// given out of band, so a tampered or substituted list is refused whole, never half believed.
//
// Instants are milliseconds since 1970 UTC throughout.

import {
  JwkError,
  JwsError,
  isObject,
  jsonObject,
  protectedHeader,
  publicKeyFromJwk,
  unverifiedPayload,
  verifyJws,
} from "./jws.js";
import { Rejection } from "./rejections.js";

export const TRUST_LIST_TYPE = "healthcode-trust-list+json";
export const GATEWAY_LIST_TYPE = "healthcode-gateway-list+json";
const FORMAT = 1;
const PURPOSES = ["code", "trust_list"];
const STATUSES = ["active", "retired", "revoked"];
// ISO 3166-1 alpha-2, optionally a subdivision (CN-33 Zhejiang); `CN` alone is the national
// platform.
const ISSUER = /^[A-Z]{2}(?:-[A-Z0-9]{1,13})?$/;
// Date and time, seconds and up to six fraction digits optional, and an offset that must be there.
const INSTANT = new RegExp(
  String.raw`^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?` +
    String.raw`(?:Z|([+-])(\d{2}):(\d{2}))$`,
);

export class TrustListError extends Error {}

export function issuerProblem(issuer) {
  return ISSUER.test(issuer)
    ? null
    : `issuer ${JSON.stringify(issuer)} is not an ISO 3166 code such as CN-33 or CN`;
}

// The list in `document` once it verifies under the issuer's root JWK; TrustListError if not.
export async function verifyTrustList(document, rootJwk) {
  return parseTrustList(await verifySigned(document, rootJwk, TRUST_LIST_TYPE, "trust list"));
}

// The lists in a combined gateway list once it verifies under the gateway's root: its signature
// vouches for the issuers' lists inside, which are not verified one by one.
export async function verifyGatewayList(document, rootJwk) {
  const payload = await verifySigned(document, rootJwk, GATEWAY_LIST_TYPE, "gateway list");
  if (payload.format !== FORMAT)
    throw new TrustListError(`the gateway list is not format ${FORMAT}`);
  if (!Array.isArray(payload.issuers))
    throw new TrustListError("the gateway list: issuers is not a list");
  const lists = [];
  for (const [index, inner] of payload.issuers.entries()) lists.push(await innerList(inner, index));
  const issuers = lists.map((listed) => listed.issuer);
  if (new Set(issuers).size !== issuers.length) {
    throw new TrustListError("the gateway list names an issuer twice");
  }
  text(payload, "gateway", "the gateway list");
  instant(payload, "issued_at", "the gateway list");
  return lists;
}

// The lists in a trust list or a gateway list, verified under whichever of `roots` signed it.
export async function verifyAnyList(document, roots) {
  let header;
  try {
    header = protectedHeader(document);
  } catch (error) {
    throw new TrustListError(error.message);
  }
  let root = null;
  for (const jwk of roots) {
    let key;
    try {
      key = await publicKeyFromJwk(jwk);
    } catch (error) {
      throw new TrustListError(`a root key: ${error.message}`);
    }
    // A root JWK may omit its kid: it is recomputed from the key, never taken on trust.
    if (root === null && key.kid === header.kid) root = { ...jwk, kid: key.kid };
  }
  if (root === null) {
    throw new TrustListError(`signed by key ${header.kid}, which is not among the given roots`);
  }
  if (header.typ === GATEWAY_LIST_TYPE) return verifyGatewayList(document, root);
  return [await verifyTrustList(document, root)];
}

async function verifySigned(document, rootJwk, typ, what) {
  let root;
  try {
    root = await publicKeyFromJwk(rootJwk);
  } catch (error) {
    if (error instanceof JwkError) throw new TrustListError(`the root key: ${error.message}`);
    throw error;
  }
  try {
    const header = protectedHeader(document);
    if (header.kid !== root.kid) {
      throw new JwsError(`signed by key ${header.kid}, not by the given root`);
    }
    return jsonObject(await verifyJws(document, root.cryptoKey, typ), `the ${what}`);
  } catch (error) {
    if (error instanceof JwsError) throw new TrustListError(`the ${what}: ${error.message}`);
    throw error;
  }
}

async function innerList(document, index) {
  let payload;
  try {
    if (protectedHeader(document).typ !== TRUST_LIST_TYPE) throw new JwsError("not a trust list");
    payload = jsonObject(unverifiedPayload(document), "the trust list");
  } catch (error) {
    if (error instanceof JwsError) {
      throw new TrustListError(`the gateway list: issuers[${index}]: ${error.message}`);
    }
    throw error;
  }
  return parseTrustList(payload);
}

// A verified payload checked member by member; TrustListError names the first problem.
async function parseTrustList(payload) {
  if (payload.format !== FORMAT) throw new TrustListError(`the trust list is not format ${FORMAT}`);
  const issuer = text(payload, "issuer", "the trust list");
  const problem = issuerProblem(issuer);
  if (problem !== null) throw new TrustListError(`the trust list: ${problem}`);
  const { revoked } = payload;
  if (!Array.isArray(revoked) || !revoked.every((kid) => typeof kid === "string")) {
    throw new TrustListError("the trust list: revoked is not a list of key ids");
  }
  if (!Array.isArray(payload.keys)) throw new TrustListError("the trust list: keys is not a list");
  const revokedSet = new Set(revoked);
  const keys = [];
  for (const [index, entry] of payload.keys.entries()) {
    keys.push(await listedKey(entry, issuer, revokedSet, `keys[${index}]`));
  }
  return {
    issuer,
    issuedAt: instant(payload, "issued_at", "the trust list"),
    keys,
    revoked: revokedSet,
  };
}

async function listedKey(entry, issuer, revoked, where) {
  if (!isObject(entry)) throw new TrustListError(`the trust list: ${where} is not an object`);
  const kid = text(entry, "kid", where);
  if (!isObject(entry.jwk))
    throw new TrustListError(`the trust list: ${where}: jwk is not an object`);
  let key;
  try {
    // The entry's kid must be the key id of its key: a list cannot rename a key.
    key = await publicKeyFromJwk({ ...entry.jwk, kid });
  } catch (error) {
    if (error instanceof JwkError)
      throw new TrustListError(`the trust list: ${where}: ${error.message}`);
    throw error;
  }
  const purpose = member(entry, "purpose", PURPOSES, where);
  const status = member(entry, "status", STATUSES, where);
  const notAfter =
    entry.not_after === null || entry.not_after === undefined
      ? null
      : instant(entry, "not_after", where);
  return {
    issuer,
    kid,
    cryptoKey: key.cryptoKey,
    purpose,
    notBefore: instant(entry, "not_before", where),
    notAfter,
    // A kid in `revoked` is revoked whatever its entry says: a revocation is never undone.
    status: revoked.has(kid) ? "revoked" : status,
  };
}

function text(mapping, name, where) {
  const value = mapping[name];
  if (typeof value !== "string" || !value)
    throw new TrustListError(`${where}: ${name} is missing or not text`);
  return value;
}

function member(entry, name, allowed, where) {
  const value = entry[name];
  if (typeof value !== "string" || !allowed.includes(value)) {
    throw new TrustListError(`the trust list: ${where}: unknown ${name} ${JSON.stringify(value)}`);
  }
  return value;
}

// An ISO 8601 instant with an offset, as milliseconds since 1970 UTC; local times are refused
// because nobody could tell which instant they name.
export function instant(mapping, name, where) {
  const parts = INSTANT.exec(text(mapping, name, where));
  const moment = parts === null ? Number.NaN : instantFrom(parts);
  if (Number.isNaN(moment)) {
    throw new TrustListError(`${where}: ${name} is not an ISO 8601 instant with an offset`);
  }
  return moment;
}

function instantFrom(parts) {
  const [year, month, day, hour, minute, second] = parts
    .slice(1, 7)
    .map((part) => Number(part ?? 0));
  const [sign, offsetHours, offsetMinutes] = parts[8]
    ? [parts[8] === "-" ? -1 : 1, Number(parts[9]), Number(parts[10])]
    : [1, 0, 0];
  const fraction = Math.floor(Number(`0.${parts[7] ?? 0}`) * 1000);
  const local = Date.UTC(year, month - 1, day, hour, minute, second, fraction);
  // Date.UTC rolls 30 February over into March: a date that does not come back as written is no
  // date. It also reads years below 100 as 19xx, and no trust list names one.
  const written = new Date(local);
  const valid =
    year >= 100 &&
    written.getUTCMonth() === month - 1 &&
    written.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60 &&
    offsetHours < 24 &&
    offsetMinutes < 60;
  return valid ? local - sign * (offsetHours * 60 + offsetMinutes) * 60_000 : Number.NaN;
}

// Why `key` verifies no code at `now`, or null. Past `notAfter` every code the key signed has
// expired, so that is what the holder hears; the leeway is the token check's, for clock drift.
export function keyRejectionAt(key, now, leeway) {
  if (key.status === "revoked") return Rejection.REVOKED;
  if (now + leeway < key.notBefore) return Rejection.NOT_YET_VALID;
  if (key.notAfter !== null && now - leeway > key.notAfter) return Rejection.EXPIRED;
  return null;
}

// Verified lists held by an offline checkpoint: the newest list of each issuer counts, and
// revocations are pooled across every list given, so an older list never undoes a revocation.
export class ListTrust {
  constructor(lists, homeIssuer = null) {
    this.homeIssuer = homeIssuer;
    this.lists = new Map();
    this.revoked = new Map();
    for (const listed of lists) {
      const held = this.lists.get(listed.issuer);
      if (held === undefined || listed.issuedAt > held.issuedAt)
        this.lists.set(listed.issuer, listed);
      const pooled = this.revoked.get(listed.issuer) ?? new Set();
      for (const kid of listed.revoked) pooled.add(kid);
      this.revoked.set(listed.issuer, pooled);
    }
  }

  static async fromDocuments(documents, roots, homeIssuer = null) {
    const lists = [];
    for (const [index, document] of documents.entries()) {
      try {
        lists.push(...(await verifyAnyList(document, roots)));
      } catch (error) {
        if (error instanceof TrustListError)
          throw new TrustListError(`list ${index + 1}: ${error.message}`);
        throw error;
      }
    }
    return new ListTrust(lists, homeIssuer);
  }

  get issuers() {
    return [...this.lists.keys()].sort();
  }

  // The code-signing key `kid` of `issuer`, or the Rejection saying why there is none to trust.
  findKey(issuer, kid) {
    const listed = this.lists.get(issuer);
    if (listed === undefined) return Rejection.ISSUER_NOT_TRUSTED;
    if (this.revoked.get(issuer).has(kid)) return Rejection.REVOKED;
    const key = listed.keys.find((candidate) => candidate.kid === kid);
    if (key === undefined || key.purpose !== "code") return Rejection.UNKNOWN_KEY;
    return key;
  }

  // How old the list of `issuer` (of the oldest list, for null) is at `now`, in whole seconds.
  listAgeSeconds(issuer, now) {
    const listed = issuer === null ? undefined : this.lists.get(issuer);
    const issued = listed
      ? [listed.issuedAt]
      : [...this.lists.values()].map((held) => held.issuedAt);
    return issued.length ? Math.round((now - Math.min(...issued)) / 1000) : null;
  }
}
