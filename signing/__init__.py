"""Keys, the court PKI, signatures over submissions and the evidence log. No Flask here."""
