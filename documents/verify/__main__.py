"""`python -m documents.verify FILE --trust ROOT.pem`: verify a court PDF offline."""

from documents.verify.cli import run

raise SystemExit(run())
