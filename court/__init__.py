"""The court's application: accounts and identity, cases, filing, mediation, staff pages, API."""

from court.app import create_app

__all__ = ["create_app"]
