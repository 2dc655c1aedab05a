// Why a code was refused: the server's vocabulary (healthcode.tokens.errors.Rejection) and its
// words (healthcode.codes.verification), so a checkpoint page and the server tell a person the
// same thing about the same code.

export const Rejection = Object.freeze({
  BAD_PREFIX: "bad_prefix",
  BAD_ENCODING: "bad_encoding",
  BAD_COMPRESSION: "bad_compression",
  BAD_STRUCTURE: "bad_structure",
  ISSUER_NOT_TRUSTED: "issuer_not_trusted",
  UNKNOWN_KEY: "unknown_key",
  REVOKED: "revoked",
  BAD_SIGNATURE: "bad_signature",
  EXPIRED: "expired",
  NOT_YET_VALID: "not_yet_valid",
});

const UNREADABLE = Object.freeze({ zh: "无法识读", en: "it cannot be read" });

export const WHY = Object.freeze({
  bad_prefix: Object.freeze({ zh: "不是健康码", en: "it is not a health code" }),
  bad_encoding: UNREADABLE,
  bad_compression: UNREADABLE,
  bad_structure: UNREADABLE,
  issuer_not_trusted: Object.freeze({
    zh: "签发地不在信任列表中",
    en: "its issuer is not on the trust list",
  }),
  unknown_key: Object.freeze({
    zh: "签发密钥不在信任列表中",
    en: "its key is not on the trust list",
  }),
  revoked: Object.freeze({ zh: "签发密钥已吊销", en: "its signing key has been revoked" }),
  bad_signature: Object.freeze({ zh: "签名无效", en: "its signature is not valid" }),
  expired: Object.freeze({ zh: "已过期", en: "it has expired" }),
  not_yet_valid: Object.freeze({ zh: "尚未生效", en: "it is not valid yet" }),
});

// The code is never the only credential (S4): every refusal names the other proof that still
// lets the person pass.
export function refusal(reason) {
  const why = WHY[reason];
  return {
    zh:
      `健康码无效（${why.zh}）。可凭其他凭证通行：7日内核酸检测阴性证明、纸质健康码、` +
      "有效身份证件登记、社区或医疗机构出具的纸质证明，通信行程卡可作辅助",
    en:
      `The code is not accepted: ${why.en}. The person may still pass with other proof: ` +
      "a negative nucleic-acid test from the last 7 days, a paper code, registration with a " +
      "valid identity document, or a paper certificate from their community or a medical " +
      "institution; a telecom itinerary card helps as auxiliary proof",
  };
}
