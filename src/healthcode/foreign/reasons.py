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
}
CODES: Final = frozenset(_TEXTS)


def reason(code: str, detail: str | None = None) -> Reason:
    """The reason `code`, with a technical `detail` (no personal data) appended to both texts."""
    zh, en = _TEXTS[code]
    if detail:
        return Reason(code, f"{zh}（{detail}）", f"{en} ({detail})")
    return Reason(code, zh, en)
