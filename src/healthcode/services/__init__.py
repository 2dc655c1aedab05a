"""Use cases: one function per thing a person or system does, one transaction each.

They are the only way to write: the CLI (and later the web layer) parses input, calls one of them
inside a `UnitOfWork`, and shows the result.
"""
