"""Foreign health certificates (issue #15, clauses A8, S1, S5): inbound travellers' own signed
certificates, verified offline against trust material loaded from files.

`verify.verify_foreign` dispatches on the text's prefix to one verifier per open format (`dcc`:
EU Digital COVID Certificate, `HC1:`; `shc`: SMART Health Cards, `shc:/`; `nzcp`: NZ COVID Pass,
`NZCP:/`), each returning a `verdicts.ForeignVerdict`; `trust` reads the trust material (X.509
certificates, the EU gateway's trust list, JWKS, DID documents, SMART Health Cards revocation
lists). Pure functions, time passed in,
no network.
"""
