"""Persistence behind narrow interfaces: message history and accounts (SQLite by default)."""
