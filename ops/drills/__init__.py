"""Drills of the emergency plan (D3, docs/operations.md): incidents injected into a private stack
on loopback (`python -m drills incidents`), and the backup and restore drill (`make drill`)."""
