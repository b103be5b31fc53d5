"""Real-name identity (R4) and re-verification before online sessions (R5)."""
