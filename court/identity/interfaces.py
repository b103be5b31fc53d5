"""Swappable identity verification backends."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


class IdentityKind(enum.StrEnum):
    NATURAL = "natural"
    ORGANISATION = "organisation"


@dataclass(frozen=True)
class IdentityClaim:
    kind: IdentityKind
    name: str
    #: Already validated and normalised.
    id_number: str
    phone: str | None


@dataclass(frozen=True)
class ProviderVerdict:
    accepted: bool
    #: How identity was established, recorded with the person (R4), e.g.
    #: "national-ctid:face" in production.
    method: str
    reference: str | None = None
    reason: str | None = None


class IdentityProvider(Protocol):
    """Confirms that a name and ID number belong to the person at the phone."""

    def verify(self, claim: IdentityClaim) -> ProviderVerdict: ...


class DevelopmentIdentityProvider:
    """DEVELOPMENT STAND-IN: accepts any well-formed number without asking any authority."""

    METHOD = "development:format-check-only"

    def __init__(self) -> None:
        log.warning(
            "DEVELOPMENT STAND-IN: identity is not checked against any authority; well-formed "
            "ID numbers are accepted and recorded with method %r",
            self.METHOD,
        )

    def verify(self, claim: IdentityClaim) -> ProviderVerdict:
        return ProviderVerdict(accepted=True, method=self.METHOD)
