"""End of the epidemic (D1): personal data deleted and its keys shredded (`deletion`), after the
anonymised counts that are kept are taken (`aggregates`)."""
