"""Why a SMART Health Card or an NZ COVID Pass was refused, or what was noted: stable codes with
their Chinese and English texts (shown to border staff and to the traveller).

No text repeats anything read from the certificate: names and birth dates are personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from healthcode.foreign.verdicts import Reason


def _catalogue(entries: dict[str, tuple[str, str]]) -> Mapping[str, Reason]:
    return {code: Reason(code, zh, en) for code, (zh, en) in entries.items()}


# Shared by both formats: the trust, signature and time checks.
_COMMON: Final = {
    "unknown-issuer": (
        "签发机构不在受信任名单中。",
        "The issuer is not among the trusted issuers.",
    ),
    "unknown-key": (
        "签发机构的受信任密钥中没有该证书所用的密钥。",
        "The key that signed the certificate is not among the issuer's trusted keys.",
    ),
    "signature-invalid": (
        "签名无效：证书已被篡改或并非该签发机构签发。",
        "The signature is not valid: the certificate was altered or not issued by this issuer.",
    ),
    "not-yet-valid": ("证书尚未生效。", "The certificate is not valid yet."),
    "expired": ("证书已过期。", "The certificate has expired."),
}

SHC_REASONS: Final = _catalogue(
    _COMMON
    | {
        "qr-header": (
            "不是 SMART 健康卡二维码（应以 shc:/ 开头）。",
            "Not a SMART Health Card QR code (it must begin with shc:/).",
        ),
        "qr-numeric": (
            "二维码的数字内容有误（应为成对的 00–77 数字）。",
            "The QR code's digits are malformed (pairs of digits 00 to 77 are expected).",
        ),
        "qr-chunk-too-big": (
            "二维码分段过长，超出一个二维码的容量。",
            "A QR chunk is longer than one QR code can hold.",
        ),
        "qr-chunks": (
            "分段二维码不完整、重复或编号有误。",
            "The QR chunks are incomplete, repeated or wrongly numbered.",
        ),
        "qr-chunked": (
            "该卡分为多个二维码（已不推荐的形式），已合并读取。",
            "The card is split into several QR codes (a deprecated form); they were read together.",
        ),
        "qr-chunk-header": (
            "单个二维码带有分段编号（1/1），已照常读取。",
            "A single QR code carries a chunk header (1/1); it was read all the same.",
        ),
        "trailing-characters": (
            "内容前后有多余的空白字符，已忽略。",
            "Extra whitespace around the content was ignored.",
        ),
        "jws-too-long": (
            "签名内容超过一个二维码的推荐长度。",
            "The signed content is longer than one QR code should hold.",
        ),
        "not-jws": (
            "内容不是 JWS 紧凑格式。",
            "The content is not a JWS in compact serialisation.",
        ),
        "not-deflated": (
            "内容未按规定用 DEFLATE 压缩，或无法解压。",
            "The content is not DEFLATE-compressed as required, or cannot be inflated.",
        ),
        "payload-not-json": (
            "内容不是 JSON 对象。",
            "The content is not a JSON object.",
        ),
        "jws-header": (
            "JWS 头部缺少或写错了算法（ES256）或密钥标识。",
            "The JWS header lacks or misstates the algorithm (ES256) or the key id.",
        ),
        "issuer-url": (
            "签发机构标识不是规定的 https 地址（不得以 / 结尾）。",
            "The issuer is not an https URL without a trailing slash, as required.",
        ),
        "signature-format": (
            "签名格式有误（应为 64 字节的 r||s，而非 DER）。",
            "The signature is malformed (64 bytes r||s are required, not DER).",
        ),
        "key-type": ("签发机构的密钥不是椭圆曲线密钥。", "The issuer's key is not an EC key."),
        "key-curve": ("签发机构的密钥不在 P-256 曲线上。", "The issuer's key is not on P-256."),
        "key-use": ("签发机构的密钥不是签名用途。", "The issuer's key is not for signatures."),
        "key-alg": ("签发机构的密钥不是用于 ES256。", "The issuer's key is not for ES256."),
        "key-private": (
            "受信任的密钥中含有私钥，不能使用。",
            "The trusted key contains private key material and is not used.",
        ),
        "key-id": (
            "密钥标识与密钥指纹（RFC 7638）不符。",
            "The key id is not the key's thumbprint (RFC 7638).",
        ),
        "key-x5c": (
            "密钥的证书链与密钥或签发机构不符。",
            "The key's certificate chain does not match the key or the issuer.",
        ),
        "nbf-missing": ("证书没有生效时间（nbf）。", "The certificate has no nbf (not before)."),
        "time-unit": (
            "证书的到期时间像是以毫秒而非秒表示。",
            "The certificate's expiry looks like milliseconds rather than seconds.",
        ),
        "vc-type": (
            "凭证类型不是 SMART 健康卡。",
            "The credential's type is not a SMART Health Card.",
        ),
        "vc-type-missing": (
            "凭证类型未声明其所含内容（如 immunization、covid19）。",
            "The credential's types do not declare what it holds (such as immunization, covid19).",
        ),
        "fhir-bundle": (
            "FHIR 资料包结构有误。",
            "The FHIR bundle is not well formed.",
        ),
        "fhir-reference": (
            "FHIR 资料包内的引用不是规定的 resource:N 形式。",
            "A reference inside the FHIR bundle is not of the form resource:N.",
        ),
        "fhir-coding": (
            "疫苗或检测缺少编码（system 与 code）。",
            "A vaccine or test lacks its coding (system and code).",
        ),
        "fhir-meta": (
            "FHIR 资源的 meta.security 缺少身份保证级别代码。",
            "A FHIR resource's meta.security lacks its identity assurance code.",
        ),
        "fhir-patient": (
            "FHIR 资料包中应有且仅有一位持有人（Patient），并有姓名和出生日期。",
            "The FHIR bundle must hold exactly one Patient, with a name and a birth date.",
        ),
        "fhir-date": (
            "接种或采样日期缺失或有误。",
            "A vaccination or sampling date is missing or malformed.",
        ),
        "fhir-meta-extra": (
            "FHIR 资源的 meta 含有 security 以外的内容，已忽略。",
            "A FHIR resource's meta holds more than security; the rest was ignored.",
        ),
        "fhir-not-completed": (
            "有未完成或已作废的接种记录，未计入。",
            "A vaccination not completed or entered in error was not counted.",
        ),
    }
)

NZCP_REASONS: Final = _catalogue(
    _COMMON
    | {
        "nzcp-prefix": (
            "不是新西兰新冠通行证（应以 NZCP:/1/ 开头）。",
            "Not an NZ COVID Pass (it must begin with NZCP:/1/).",
        ),
        "nzcp-version": (
            "新西兰新冠通行证的版本不受支持（仅支持 1）。",
            "The NZ COVID Pass version is not supported (only 1 is).",
        ),
        "nzcp-base32": (
            "内容不是无填充的 Base32 编码。",
            "The content is not Base32 without padding.",
        ),
        "nzcp-cose": (
            "内容不是 ES256 签名的 COSE_Sign1 结构。",
            "The content is not a COSE_Sign1 signed with ES256.",
        ),
        "nzcp-claims": (
            "CWT 声明有误（签发机构、生效与到期时间、凭证编号）。",
            "The CWT claims (issuer, validity times, credential id) are malformed.",
        ),
        "nzcp-vc": (
            "凭证内容不是规定的 PublicCovidPass 结构。",
            "The credential is not a PublicCovidPass of the required structure.",
        ),
        "key-not-assertion": (
            "该密钥未被签发机构的 DID 文档列为签发用途（assertionMethod）。",
            "The key is not an assertion method of the issuer's DID document.",
        ),
        "key-unusable": (
            "DID 文档中的密钥不是 P-256 的公开签名密钥。",
            "The DID document's key is not a public P-256 signing key.",
        ),
    }
)
