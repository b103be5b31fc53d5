"""Accounts: staff passwords and sessions, phone codes, API tokens. No HTTP here."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, col, func, select, update

from court.accounts.errors import (
    AccountDisabled,
    AccountLocked,
    CodeAttemptsExhausted,
    InvalidPhone,
    PasswordNotConfirmed,
    RefreshReused,
    TokenExpired,
    TokenInvalid,
    TokenRevoked,
    UsernameTaken,
    WeakPassword,
    WrongCode,
)
from court.accounts.interfaces import CodeSender
from court.accounts.models import (
    STAFF_ROLES,
    Account,
    AccountState,
    ApiToken,
    Court,
    OtpCode,
    Role,
    StaffSession,
    TokenKind,
)
from court.audit import Actor, record_audit
from court.db import utcnow
from court.errors import NotFound, RateLimited
from court.settings import Settings

#: argon2id with the library's defaults (RFC 9106 second recommended option).
_hasher = PasswordHasher()
#: Verified against when the user name is unknown, so that timing does not tell.
_DUMMY_HASH = _hasher.hash("not a real password, only for equal timing")

MIN_PASSWORD_LENGTH = 12
_PHONE_RE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_phone(raw: str) -> str:
    """Return the 11-digit mainland mobile number, or raise InvalidPhone."""
    match = _PHONE_RE.match(raw.replace(" ", "").replace("-", ""))
    if not match:
        raise InvalidPhone({"phone": "expected 11 digits starting with 13-19"})
    return match.group(1)


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


# -- staff ------------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword
    return _hasher.hash(password)


def get_court_by_code(session: Session, code: str) -> Court:
    court = session.exec(select(Court).where(Court.code == code)).first()
    if court is None:
        raise NotFound({"court": code})
    return court


def ensure_court(session: Session, code: str, name: str) -> Court:
    """Return the court with this code, creating it if it does not exist."""
    court = session.exec(select(Court).where(Court.code == code)).first()
    if court is None:
        court = Court(code=code, name=name)
        session.add(court)
        session.flush()
    return court


def create_staff(
    session: Session,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    role: Role,
    court: Court,
    password: str,
) -> Account:
    """Create a staff account with an argon2id password hash."""
    if role not in STAFF_ROLES:
        raise ValueError(f"{role} is not a staff role")
    if session.exec(select(Account).where(Account.username == username)).first():
        raise UsernameTaken({"username": username})
    account = Account(
        role=role.value,
        display_name=display_name,
        username=username,
        password_hash=hash_password(password),
        court_id=court.id,
        created_at=utcnow(),
    )
    session.add(account)
    session.flush()
    record_audit(
        session,
        actor,
        "account.create",
        "account",
        account.id,
        {"role": role.value, "username": username, "court": court.code},
    )
    return account


def set_account_state(
    session: Session, actor: Actor, account: Account, state: AccountState
) -> None:
    """Enable or disable an account; disabling ends its sessions and tokens at once."""
    account.state = state.value
    session.add(account)
    if state is AccountState.DISABLED:
        now = utcnow()
        session.exec(
            update(StaffSession)
            .where(
                col(StaffSession.account_id) == account.id, col(StaffSession.revoked_at).is_(None)
            )
            .values(revoked_at=now)
        )
        session.exec(
            update(ApiToken)
            .where(col(ApiToken.account_id) == account.id, col(ApiToken.revoked_at).is_(None))
            .values(revoked_at=now)
        )
    record_audit(session, actor, f"account.{state.value}", "account", account.id)


@dataclass(frozen=True)
class SignInResult:
    """Outcome of a password sign-in; failures are results (their counters must be kept)."""

    ok: bool
    reason: str | None = None
    account: Account | None = None
    cookie_value: str | None = None
    locked_until: dt.datetime | None = None


def sign_in_staff(
    session: Session,
    settings: Settings,
    *,
    username: str,
    password: str,
    address: str | None,
    user_agent: str | None,
) -> SignInResult:
    """Check a staff password, applying lockout after repeated failures."""
    now = utcnow()
    account = session.exec(
        select(Account).where(Account.username == username).with_for_update()
    ).first()
    if account is None or account.password_hash is None:
        _verify_quietly(_DUMMY_HASH, password)
        return SignInResult(ok=False, reason="bad_credentials")
    if account.locked_until is not None and account.locked_until > now:
        return SignInResult(ok=False, reason="locked", locked_until=account.locked_until)
    if not _verify_quietly(account.password_hash, password):
        account.failed_logins += 1
        if account.failed_logins >= settings.login_max_failures:
            account.locked_until = now + dt.timedelta(seconds=settings.login_lockout_seconds)
            account.failed_logins = 0
            record_audit(
                session,
                Actor(None, "system", address=address),
                "account.lockout",
                "account",
                account.id,
            )
        session.add(account)
        return SignInResult(ok=False, reason="bad_credentials")
    if account.state != AccountState.ACTIVE:
        return SignInResult(ok=False, reason="disabled")
    account.failed_logins = 0
    account.locked_until = None
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    session.add(account)
    cookie_value = secrets.token_urlsafe(32)
    staff_session = StaffSession(
        account_id=account.id,
        token_sha256=sha256_hex(cookie_value),
        created_at=now,
        expires_at=now + dt.timedelta(seconds=settings.staff_session_ttl_seconds),
        address=address,
        user_agent=(user_agent or "")[:255],
    )
    session.add(staff_session)
    session.flush()
    record_audit(
        session,
        Actor(account.id, account.role, session_ref=f"staff:{staff_session.id}", address=address),
        "staff.sign_in",
        "account",
        account.id,
    )
    return SignInResult(ok=True, account=account, cookie_value=cookie_value)


def _verify_quietly(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def confirm_password(session: Session, settings: Settings, account: Account, password: str) -> None:
    """Ask a signed-in staff member for their password again before a signature (step-up).

    Wrong answers count towards the same lockout as sign-in failures.
    """
    now = utcnow()
    if account.locked_until is not None and account.locked_until > now:
        raise AccountLocked({"locked_until": account.locked_until.isoformat()})
    if account.password_hash is not None and _verify_quietly(account.password_hash, password):
        account.failed_logins = 0
        session.add(account)
        return
    account.failed_logins += 1
    if account.failed_logins >= settings.login_max_failures:
        account.locked_until = now + dt.timedelta(seconds=settings.login_lockout_seconds)
        account.failed_logins = 0
    session.add(account)
    raise PasswordNotConfirmed


def staff_session_for_cookie(
    session: Session, cookie_value: str
) -> tuple[StaffSession, Account] | None:
    """Return the live staff session and account for a cookie value, or None."""
    row = session.exec(
        select(StaffSession, Account)
        .join(Account, col(Account.id) == StaffSession.account_id)
        .where(StaffSession.token_sha256 == sha256_hex(cookie_value))
    ).first()
    if row is None:
        return None
    staff_session, account = row
    if (
        staff_session.revoked_at is not None
        or staff_session.expires_at <= utcnow()
        or account.state != AccountState.ACTIVE
    ):
        return None
    return staff_session, account


def sign_out_staff(session: Session, actor: Actor, staff_session: StaffSession) -> None:
    staff_session.revoked_at = utcnow()
    session.add(staff_session)
    record_audit(session, actor, "staff.sign_out", "account", staff_session.account_id)


# -- one-time codes ---------------------------------------------------------------------------


def _code_hmac(key: bytes, phone: str, code: str) -> str:
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def request_code(
    session: Session,
    settings: Settings,
    sender: CodeSender,
    otp_key: bytes,
    *,
    phone: str,
    address: str | None,
) -> OtpCode:
    """Issue and send a sign-in code, within the per-phone and per-address limits."""
    now = utcnow()
    hour_ago = now - dt.timedelta(hours=1)
    latest = session.exec(
        select(OtpCode).where(OtpCode.phone == phone).order_by(col(OtpCode.created_at).desc())
    ).first()
    if latest is not None:
        wait = settings.otp_min_interval_seconds - (now - latest.created_at).total_seconds()
        if wait > 0:
            raise RateLimited(math.ceil(wait), {"limit": "per_phone_interval"})
    per_phone = session.exec(
        select(func.count())
        .select_from(OtpCode)
        .where(OtpCode.phone == phone, col(OtpCode.created_at) > hour_ago)
    ).one()
    if per_phone >= settings.otp_per_phone_per_hour:
        raise RateLimited(3600, {"limit": "per_phone_hour"})
    if address is not None:
        per_address = session.exec(
            select(func.count())
            .select_from(OtpCode)
            .where(OtpCode.address == address, col(OtpCode.created_at) > hour_ago)
        ).one()
        if per_address >= settings.otp_per_address_per_hour:
            raise RateLimited(3600, {"limit": "per_address_hour"})
    code = f"{secrets.randbelow(10**6):06d}"
    otp = OtpCode(
        phone=phone,
        code_hmac=_code_hmac(otp_key, phone, code),
        address=address,
        created_at=now,
        expires_at=now + dt.timedelta(seconds=settings.otp_ttl_seconds),
    )
    session.add(otp)
    session.flush()
    sender.send_code(phone, code, settings.otp_ttl_seconds)
    return otp


def redeem_code(
    session: Session,
    settings: Settings,
    otp_key: bytes,
    *,
    phone: str,
    code: str,
    address: str | None,
) -> Account:
    """Spend a correct code and return the phone's account, creating a litigant account."""
    now = utcnow()
    otp = session.exec(
        select(OtpCode)
        .where(OtpCode.phone == phone, col(OtpCode.consumed_at).is_(None))
        .order_by(col(OtpCode.created_at).desc())
        .with_for_update()
    ).first()
    if otp is None or otp.expires_at <= now:
        raise WrongCode
    if otp.attempts >= settings.otp_max_attempts:
        raise CodeAttemptsExhausted
    if not hmac.compare_digest(otp.code_hmac, _code_hmac(otp_key, phone, code)):
        otp.attempts += 1
        session.add(otp)
        if otp.attempts >= settings.otp_max_attempts:
            raise CodeAttemptsExhausted
        raise WrongCode({"attempts_left": settings.otp_max_attempts - otp.attempts})
    otp.consumed_at = now
    session.add(otp)
    account = session.exec(select(Account).where(Account.phone == phone)).first()
    if account is None:
        account = Account(
            role=Role.LITIGANT.value, display_name=mask_phone(phone), phone=phone, created_at=now
        )
        session.add(account)
        session.flush()
        record_audit(
            session,
            Actor(account.id, account.role, address=address),
            "account.create",
            "account",
            account.id,
            {"via": "phone", "phone": mask_phone(phone)},
        )
    if account.state != AccountState.ACTIVE:
        raise AccountDisabled
    return account


# -- API tokens -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    access_expires_at: dt.datetime
    refresh_expires_at: dt.datetime
    access: ApiToken


def _new_token(prefix: str) -> str:
    # 32 random bytes: 256 bits.
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def issue_tokens(
    session: Session,
    settings: Settings,
    account: Account,
    *,
    address: str | None,
    family_id: str | None = None,
) -> TokenPair:
    """Issue an access token and a refresh token, storing only their hashes."""
    now = utcnow()
    family = family_id or secrets.token_hex(16)
    access_raw, refresh_raw = _new_token("mca"), _new_token("mcr")
    access = ApiToken(
        account_id=account.id,
        kind=TokenKind.ACCESS.value,
        token_sha256=sha256_hex(access_raw),
        family_id=family,
        created_at=now,
        expires_at=now + dt.timedelta(seconds=settings.access_token_ttl_seconds),
        address=address,
    )
    refresh = ApiToken(
        account_id=account.id,
        kind=TokenKind.REFRESH.value,
        token_sha256=sha256_hex(refresh_raw),
        family_id=family,
        created_at=now,
        expires_at=now + dt.timedelta(seconds=settings.refresh_token_ttl_seconds),
        address=address,
    )
    session.add(access)
    session.add(refresh)
    session.flush()
    record_audit(
        session,
        Actor(account.id, account.role, session_ref=f"token:{access.id}", address=address),
        "token.issue" if family_id is None else "token.refresh",
        "account",
        account.id,
        {"family": family},
    )
    return TokenPair(access_raw, refresh_raw, access.expires_at, refresh.expires_at, access)


def _load_token(session: Session, raw: str, kind: TokenKind) -> tuple[ApiToken, Account]:
    row = session.exec(
        select(ApiToken, Account)
        .join(Account, col(Account.id) == ApiToken.account_id)
        .where(ApiToken.token_sha256 == sha256_hex(raw), ApiToken.kind == kind.value)
    ).first()
    if row is None:
        raise TokenInvalid
    return row


def authenticate_token(session: Session, raw: str) -> tuple[ApiToken, Account]:
    """Return the live access token and its account, or raise why not."""
    token, account = _load_token(session, raw, TokenKind.ACCESS)
    if token.revoked_at is not None:
        raise TokenRevoked
    if token.expires_at <= utcnow():
        raise TokenExpired
    if account.state != AccountState.ACTIVE:
        raise AccountDisabled
    return token, account


def refresh_tokens(
    session: Session, settings: Settings, raw_refresh: str, *, address: str | None
) -> TokenPair:
    """Trade a refresh token for a new pair (rotation); a reused one revokes its family."""
    token, account = _load_token(session, raw_refresh, TokenKind.REFRESH)
    now = utcnow()
    if token.revoked_at is not None:
        revoke_family(session, token.family_id)
        record_audit(
            session,
            Actor(account.id, account.role, address=address),
            "token.refresh_reuse",
            "account",
            account.id,
            {"family": token.family_id},
        )
        raise RefreshReused
    if token.expires_at <= now:
        raise TokenExpired
    if account.state != AccountState.ACTIVE:
        raise AccountDisabled
    revoke_family(session, token.family_id)
    return issue_tokens(session, settings, account, address=address, family_id=token.family_id)


def revoke_family(session: Session, family_id: str) -> None:
    session.exec(
        update(ApiToken)
        .where(col(ApiToken.family_id) == family_id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


def sign_out_token(session: Session, actor: Actor, token: ApiToken) -> None:
    """Revoke the access token and every token of its sign-in."""
    revoke_family(session, token.family_id)
    record_audit(session, actor, "token.revoke", "account", token.account_id)
