"""The database adapter: one schema and one repository for SQLite (embedded) and PostgreSQL."""
