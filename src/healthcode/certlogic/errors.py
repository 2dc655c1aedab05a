"""The one exception type CertLogic raises."""


class CertLogicError(ValueError):
    """An invalid CertLogic expression, or a type mismatch found while evaluating one.

    A ValueError so callers that already treat bad input uniformly need no extra clause;
    rule engines usually map it to a failed rule, as the specification advises.
    """
