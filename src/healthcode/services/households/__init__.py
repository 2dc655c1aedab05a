"""Applying for codes (A1, A8, S3): an application for oneself or on someone's behalf
(`applications`), and the persons a resident account may show, bound with consent (`links`)."""
