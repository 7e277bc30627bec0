"""Persistence: models, engine and session factory, repositories and migrations."""
