"""Sign-in for the mini-app: phone code → tokens; refresh; sign out; who am I."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from flask import request
from pydantic import Field

from court import components
from court.accounts import services
from court.accounts.principal import current_account, current_token
from court.api import api
from court.api.models import ApiModel, PublicModel
from court.api.routing import principal
from court.db import db

Phone = Annotated[str, Field(min_length=11, max_length=16, examples=["13800138000"])]


class CodeRequest(ApiModel):
    phone: Phone


class CodeSent(PublicModel):
    phone: str
    expires_in: int
    resend_after: int


class TokenRequest(ApiModel):
    phone: Phone
    code: Annotated[str, Field(pattern=r"^\d{6}$")]


class RefreshRequest(ApiModel):
    refresh_token: Annotated[str, Field(min_length=20, max_length=128)]


class TokenResponse(PublicModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int
    expires_at: dt.datetime
    refresh_expires_at: dt.datetime


class Me(PublicModel):
    id: str
    role: str
    display_name: str
    phone: str | None
    identity_verified: bool


def _token_response(pair: services.TokenPair) -> TokenResponse:
    return TokenResponse(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=components.settings().access_token_ttl_seconds,
        expires_at=pair.access_expires_at,
        refresh_expires_at=pair.refresh_expires_at,
    )


@api.post(
    "/auth/otp",
    body=CodeRequest,
    response=CodeSent,
    status=202,
    roles=None,
    tags=["auth"],
    summary="Send a one-time sign-in code to a phone",
    errors=[400, 422, 429],
)
def ask_for_code(body: CodeRequest) -> CodeSent:
    """Send a six-digit code by SMS. Limited per phone and per client address (429)."""
    phone = services.normalise_phone(body.phone)
    settings = components.settings()
    services.request_code(
        db(),
        settings,
        components.code_sender(),
        components.otp_key(),
        phone=phone,
        address=request.remote_addr,
    )
    return CodeSent(
        phone=services.mask_phone(phone),
        expires_in=settings.otp_ttl_seconds,
        resend_after=settings.otp_min_interval_seconds,
    )


@api.post(
    "/auth/token",
    body=TokenRequest,
    response=TokenResponse,
    status=201,
    roles=None,
    tags=["auth"],
    idempotent=False,
    errors=[401, 403, 422],
    summary="Trade a phone and its code for tokens",
)
def exchange_code(body: TokenRequest) -> TokenResponse:
    """Spend the code and issue an access and a refresh token.

    Not replayed by Idempotency-Key: the response holds secrets that are stored only hashed.
    """
    phone = services.normalise_phone(body.phone)
    settings = components.settings()
    account = services.redeem_code(
        db(),
        settings,
        components.otp_key(),
        phone=phone,
        code=body.code,
        address=request.remote_addr,
    )
    return _token_response(
        services.issue_tokens(db(), settings, account, address=request.remote_addr)
    )


@api.post(
    "/auth/refresh",
    body=RefreshRequest,
    response=TokenResponse,
    status=201,
    roles=None,
    tags=["auth"],
    idempotent=False,
    errors=[401, 403, 422],
    summary="Rotate tokens with a refresh token",
)
def refresh(body: RefreshRequest) -> TokenResponse:
    """Issue a new pair; the old pair stops working. Reusing a spent refresh token ends the
    whole sign-in (it was copied)."""
    pair = services.refresh_tokens(
        db(), components.settings(), body.refresh_token, address=request.remote_addr
    )
    return _token_response(pair)


@api.post(
    "/auth/logout",
    status=204,
    tags=["auth"],
    summary="Revoke this sign-in's tokens",
    errors=[401],
)
def logout() -> None:
    """Revoke the access token used and every token of the same sign-in."""
    services.sign_out_token(db(), principal().actor(), current_token())


@api.get("/me", response=Me, tags=["auth"], summary="The signed-in account", errors=[401])
def me() -> Me:
    account = current_account()
    return Me(
        id=account.id,
        role=account.role,
        display_name=account.display_name,
        phone=services.mask_phone(account.phone) if account.phone else None,
        identity_verified=account.person_id is not None,
    )
