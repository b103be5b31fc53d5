"""The registry of court documents: every issued revision, its signers, its state (R14, R22)."""
