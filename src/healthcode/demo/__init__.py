"""`healthcode demo`: a realistic synthetic population, so that a newcomer sees the whole product.

Generation (`population`, `stories`, `identities`, `places`, `residents`) is pure and seeded;
`loading` puts what it generated through the platform's own use cases.
"""
