"""Versioned reference data: case causes (案由)."""
