"""Relational metadata (SQLite or PostgreSQL) behind one typed interface."""

from lepton.store.metadata.store import MetadataStore

__all__ = ["MetadataStore"]
