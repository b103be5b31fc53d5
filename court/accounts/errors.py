"""Errors of accounts and sign-in."""

from __future__ import annotations

from court.errors import BadRequest, Conflict, CourtError, Forbidden, KeepsChanges, Unauthenticated


class InvalidPhone(BadRequest):
    code = "invalid_phone"
    zh = "手机号码格式不正确。"
    en = "The phone number is not a valid mainland mobile number."


class WrongCode(KeepsChanges, Unauthenticated):
    code = "otp_invalid"
    zh = "验证码错误或已过期。"
    en = "The code is wrong or has expired."


class CodeAttemptsExhausted(KeepsChanges, Unauthenticated):
    code = "otp_attempts_exhausted"
    zh = "验证码尝试次数过多，请重新获取。"
    en = "Too many wrong codes; ask for a new one."


class TokenInvalid(Unauthenticated):
    code = "token_invalid"
    zh = "登录凭证无效，请重新登录。"
    en = "The token is not valid; sign in again."


class TokenExpired(Unauthenticated):
    code = "token_expired"
    zh = "登录凭证已过期。"
    en = "The token has expired."


class TokenRevoked(Unauthenticated):
    code = "token_revoked"
    zh = "登录凭证已注销。"
    en = "The token has been revoked."


class RefreshReused(KeepsChanges, Unauthenticated):
    code = "refresh_token_reused"
    zh = "刷新凭证已被使用，为安全起见本次登录已全部注销。"
    en = "This refresh token was already used; the whole sign-in has been revoked."


class AccountDisabled(Forbidden):
    code = "account_disabled"
    zh = "账户已停用。"
    en = "The account is disabled."


class UsernameTaken(Conflict):
    code = "username_taken"
    zh = "用户名已被使用。"
    en = "The user name is taken."


class WeakPassword(BadRequest):
    code = "weak_password"
    zh = "密码至少 12 位。"
    en = "The password must have at least 12 characters."


class UnknownCourt(CourtError):
    status = 404
    code = "unknown_court"
    zh = "未找到该法院。"
    en = "No such court."


class PasswordNotConfirmed(KeepsChanges, Forbidden):
    code = "password_not_confirmed"
    zh = "密码错误，未能确认身份。"
    en = "The password is wrong; your identity was not confirmed."


class AccountLocked(Forbidden):
    code = "account_locked"
    zh = "登录失败次数过多，账户已临时锁定。"
    en = "Too many failed attempts; the account is locked for a while."
