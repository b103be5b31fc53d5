"""Staff sign-in state for the pages: the session cookie names a server-side StaffSession."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, redirect, request, session, url_for

from court.accounts.models import Account, StaffSession
from court.accounts.principal import Principal
from court.accounts.services import staff_session_for_cookie
from court.db import db
from court.errors import Forbidden

SESSION_KEY = "staff_session"
F = TypeVar("F", bound=Callable[..., Any])


def load_staff() -> None:
    """Attach the signed-in staff member, if any, to ``g``."""
    g.staff = None
    g.staff_session = None
    cookie_value = session.get(SESSION_KEY)
    if not cookie_value:
        return
    found = staff_session_for_cookie(db(), cookie_value)
    if found is None:
        session.pop(SESSION_KEY, None)
        return
    g.staff_session, g.staff = found
    g.principal = Principal(
        account_id=g.staff.id,
        role=g.staff.role,
        session_ref=f"staff:{g.staff_session.id}",
        address=request.remote_addr,
    )


def current_staff() -> Account:
    staff: Account = g.staff
    return staff


def current_principal() -> Principal:
    found: Principal = g.principal
    return found


def current_staff_session() -> StaffSession:
    found: StaffSession = g.staff_session
    return found


STAFF_ROLE_NAMES = ("clerk", "judge", "mediator", "admin")


def staff_required(*roles: str) -> Callable[[F], F]:
    """Send anonymous visitors to sign in; refuse staff of other roles with 403."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if g.get("staff") is None:
                return redirect(url_for("web.sign_in", next=request.full_path))
            if roles and g.staff.role not in roles:
                raise Forbidden({"required_roles": list(roles)})
            return view(*args, **kwargs)

        # Read by the generated access matrix (tests/court/test_access_matrix.py).
        wrapper.staff_roles = roles or STAFF_ROLE_NAMES  # type: ignore[attr-defined]
        return cast(F, wrapper)

    return decorate
