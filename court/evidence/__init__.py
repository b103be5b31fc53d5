"""The public face of the evidence log: signed checkpoints and proofs anyone can check."""
