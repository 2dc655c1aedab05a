"""Signed health codes as a service (issue #4): signing keys, issuing, trust lists, verification.

The wire format lives in `healthcode.tokens` (pure, no database); this package holds the keys that
sign it, the trust lists that say which keys to believe, and the checkpoint's decision.
"""
