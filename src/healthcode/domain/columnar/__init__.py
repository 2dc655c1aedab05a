"""The columnar population engine (issue #12): the same decisions as `domain.decisions.decide`,
for a whole population (or one partition of it) at once, with Polars.

facts (frames.py) → features (features.py, one row per person, one column per CertLogic path)
→ rules compiled to Polars expressions (compiler.py) → decisions and `next_review_at`
(decisions.py, review.py). The per-person path stays the reference: explanations and single
facts use it, and a property test holds both paths to identical decisions.
"""
