"""The evidence log: RFC 9162 Merkle proofs, signed checkpoints and offline receipts."""
