"""Signed health codes as use cases (issue #4): signing keys, issuing, trust lists, the gateway,
and verification at a checkpoint.

The wire formats are pure and live in `healthcode.tokens`; this package holds the keys that sign
them, the trust lists that say which keys to believe, and the checkpoint's decision.
"""
