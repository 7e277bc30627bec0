"""Queries. Repositories add and flush; they never commit (services own the transaction)."""
