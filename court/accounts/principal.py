"""Who is calling: the principal of an API call (bearer token) or a staff page (cookie)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request

from court.accounts.errors import TokenInvalid
from court.accounts.models import Account, ApiToken
from court.accounts.services import authenticate_token
from court.audit import Actor
from court.db import db
from court.errors import Unauthenticated


@dataclass(frozen=True)
class Principal:
    account_id: str
    role: str
    #: "token:<id>" or "staff:<id>", recorded with every act (R4).
    session_ref: str
    address: str | None

    def actor(self, device_ref: str | None = None) -> Actor:
        return Actor(
            account_id=self.account_id,
            role=self.role,
            session_ref=self.session_ref,
            device_ref=device_ref,
            address=self.address,
        )


def authenticate_request() -> Principal:
    """Resolve the bearer token of this request, or raise 401 with the reason."""
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Unauthenticated(headers={"WWW-Authenticate": 'Bearer realm="micro-court"'})
    try:
        token, account = authenticate_token(db(), raw.strip())
    except TokenInvalid as exc:
        exc.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        raise
    principal = Principal(
        account_id=account.id,
        role=account.role,
        session_ref=f"token:{token.id}",
        address=request.remote_addr,
    )
    g.principal = principal
    g.api_token = token
    g.account = account
    return principal


def current_account() -> Account:
    account: Account = g.account
    return account


def current_token() -> ApiToken:
    token: ApiToken = g.api_token
    return token
