"""Alembic migrations of the court database (versions/), and helpers they share."""
