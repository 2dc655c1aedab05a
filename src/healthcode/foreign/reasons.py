"""The reasons a foreign certificate is refused, in both languages: one table for every format.

A checkpoint officer reads the Chinese, a traveller may read the English; programs read the code.
A layer's technical detail (which byte, which field) is appended to both texts: it names parts of
the certificate, never its content, so no personal data reaches a reason.
"""

from typing import Final

from healthcode.foreign.verdicts import Reason

_TEXTS: Final[dict[str, tuple[str, str]]] = {
    "bad-prefix": (
        "前缀不符，不是此格式的证书",
        "the prefix does not match this certificate format",
    ),
    "bad-encoding": ("证书文本编码无效", "the certificate's text encoding is invalid"),
    "bad-compression": ("证书压缩数据无效", "the certificate's compressed data is invalid"),
    "bad-structure": ("证书结构无效", "the certificate's structure is invalid"),
    "unknown-key": (
        "签发密钥不在信任材料中",
        "the signing key is not in the trust material",
    ),
    "unsupported-algorithm": ("不支持的签名算法", "the signature algorithm is not supported"),
    "signature-invalid": ("签名无效", "the signature is invalid"),
    "not-yet-valid": ("证书尚未生效", "the certificate is not valid yet"),
    "expired": ("证书已过期", "the certificate has expired"),
    "signer-not-yet-valid": (
        "签发者证书在此时尚未生效",
        "the signer's certificate is not valid yet at this time",
    ),
    "signer-expired": ("签发者证书已过期", "the signer's certificate has expired"),
    "schema-invalid": ("证书内容不符合规范", "the certificate's content does not match its schema"),
    "key-usage-mismatch": (
        "签发者证书无权签发此类证明",
        "the signer's certificate may not sign this kind of statement",
    ),
    # SMART Health Cards (shc.py, fhir.py) and NZ COVID Pass (nzcp.py).
    "unknown-issuer": ("签发机构不在受信任名单中", "the issuer is not among the trusted issuers"),
    "qr-header": (
        "不是 SMART 健康卡二维码（应以 shc:/ 开头）",
        "not a SMART Health Card QR code (it must begin with shc:/)",
    ),
    "qr-numeric": (
        "二维码的数字内容有误（应为成对的 00–77 数字）",
        "the QR code's digits are malformed (pairs of digits 00 to 77 are expected)",
    ),
    "qr-chunk-too-big": (
        "二维码分段过长，超出一个二维码的容量",
        "a QR chunk is longer than one QR code can hold",
    ),
    "qr-chunks": (
        "分段二维码不完整、重复或编号有误",
        "the QR chunks are incomplete, repeated or wrongly numbered",
    ),
    "qr-chunked": (
        "该卡分为多个二维码（已不推荐的形式），已合并读取",
        "the card is split into several QR codes (a deprecated form); they were read together",
    ),
    "qr-chunk-header": (
        "单个二维码带有分段编号（1/1），已照常读取",
        "a single QR code carries a chunk header (1/1); it was read all the same",
    ),
    "trailing-characters": (
        "内容前后有多余的空白字符，已忽略",
        "extra whitespace around the content was ignored",
    ),
    "jws-too-long": (
        "签名内容超过一个二维码的推荐长度",
        "the signed content is longer than one QR code should hold",
    ),
    "not-jws": ("内容不是 JWS 紧凑格式", "the content is not a JWS in compact serialisation"),
    "not-deflated": (
        "内容未按规定用 DEFLATE 压缩，或无法解压",
        "the content is not DEFLATE-compressed as required, or cannot be inflated",
    ),
    "payload-not-json": ("内容不是 JSON 对象", "the content is not a JSON object"),
    "jws-header": (
        "JWS 头部缺少或写错了算法（ES256）或密钥标识",
        "the JWS header lacks or misstates the algorithm (ES256) or the key id",
    ),
    "issuer-url": (
        "签发机构标识不是规定的 https 地址（不得以 / 结尾）",
        "the issuer is not an https URL without a trailing slash, as required",
    ),
    "signature-format": (
        "签名格式有误（应为 64 字节的 r||s，而非 DER）",
        "the signature is malformed (64 bytes r||s are required, not DER)",
    ),
    "key-type": ("签发机构的密钥不是椭圆曲线密钥", "the issuer's key is not an EC key"),
    "key-curve": ("签发机构的密钥不在 P-256 曲线上", "the issuer's key is not on P-256"),
    "key-use": ("签发机构的密钥不是签名用途", "the issuer's key is not for signatures"),
    "key-alg": ("签发机构的密钥不是用于 ES256", "the issuer's key is not for ES256"),
    "key-private": (
        "受信任的密钥中含有私钥，不能使用",
        "the trusted key contains private key material and is not used",
    ),
    "key-id": (
        "密钥标识与密钥指纹（RFC 7638）不符",
        "the key id is not the key's thumbprint (RFC 7638)",
    ),
    "key-x5c": (
        "密钥的证书链与密钥或签发机构不符",
        "the key's certificate chain does not match the key or the issuer",
    ),
    "nbf-missing": ("证书没有生效时间（nbf）", "the certificate has no nbf (not before)"),
    "time-unit": (
        "证书的到期时间像是以毫秒而非秒表示",
        "the certificate's expiry looks like milliseconds rather than seconds",
    ),
    "vc-type": ("凭证类型不是 SMART 健康卡", "the credential's type is not a SMART Health Card"),
    "vc-type-missing": (
        "凭证类型未声明其所含内容（如 immunization、covid19）",
        "the credential's types do not declare what it holds (such as immunization, covid19)",
    ),
    "fhir-bundle": ("FHIR 资料包结构有误", "the FHIR bundle is not well formed"),
    "fhir-reference": (
        "FHIR 资料包内的引用不是规定的 resource:N 形式",
        "a reference inside the FHIR bundle is not of the form resource:N",
    ),
    "fhir-coding": (
        "疫苗或检测缺少编码（system 与 code）",
        "a vaccine or test lacks its coding (system and code)",
    ),
    "fhir-meta": (
        "FHIR 资源的 meta.security 缺少身份保证级别代码",
        "a FHIR resource's meta.security lacks its identity assurance code",
    ),
    "fhir-patient": (
        "FHIR 资料包中应有且仅有一位持有人（Patient），并有姓名和出生日期",
        "the FHIR bundle must hold exactly one Patient, with a name and a birth date",
    ),
    "fhir-date": (
        "接种或采样日期缺失或有误",
        "a vaccination or sampling date is missing or malformed",
    ),
    "fhir-meta-extra": (
        "FHIR 资源的 meta 含有 security 以外的内容，已忽略",
        "a FHIR resource's meta holds more than security; the rest was ignored",
    ),
    "fhir-not-completed": (
        "有未完成或已作废的接种记录，未计入",
        "a vaccination not completed or entered in error was not counted",
    ),
    "revoked": ("该卡已被签发机构撤销", "the issuer has revoked this card"),
    "revocation-list-missing": (
        "签发密钥声明了撤销列表，但信任材料中没有该列表，无法确认是否已撤销",
        "the signing key declares a revocation list that the trust material lacks: whether the"
        " card is revoked cannot be told",
    ),
    "revocation-list-version": (
        "信任材料中的撤销列表与签发密钥声明的版本不符",
        "the revocation list in the trust material is not the version the signing key declares",
    ),
    "revocation-list-invalid": (
        "签发密钥的撤销列表有误，无法确认是否已撤销",
        "the signing key's revocation list is malformed: whether the card is revoked cannot"
        " be told",
    ),
    "nzcp-prefix": (
        "不是新西兰新冠通行证（应以 NZCP:/1/ 开头）",
        "not an NZ COVID Pass (it must begin with NZCP:/1/)",
    ),
    "nzcp-version": (
        "新西兰新冠通行证的版本不受支持（仅支持 1）",
        "the NZ COVID Pass version is not supported (only 1 is)",
    ),
    "nzcp-base32": ("内容不是无填充的 Base32 编码", "the content is not Base32 without padding"),
    "nzcp-cose": (
        "内容不是 ES256 签名的 COSE_Sign1 结构",
        "the content is not a COSE_Sign1 signed with ES256",
    ),
    "nzcp-claims": (
        "CWT 声明有误（签发机构、生效与到期时间、凭证编号）",
        "the CWT claims (issuer, validity times, credential id) are malformed",
    ),
    "nzcp-vc": (
        "凭证内容不是规定的 PublicCovidPass 结构",
        "the credential is not a PublicCovidPass of the required structure",
    ),
    "key-not-assertion": (
        "该密钥未被签发机构的 DID 文档列为签发用途（assertionMethod）",
        "the key is not an assertion method of the issuer's DID document",
    ),
    "key-unusable": (
        "DID 文档中的密钥不是 P-256 的公开签名密钥",
        "the DID document's key is not a public P-256 signing key",
    ),
}
CODES: Final = frozenset(_TEXTS)


def reason(code: str, detail: str | None = None) -> Reason:
    """The reason `code`, with a technical `detail` (no personal data) appended to both texts."""
    zh, en = _TEXTS[code]
    if detail:
        return Reason(code, f"{zh}（{detail}）", f"{en} ({detail})")
    return Reason(code, zh, en)
