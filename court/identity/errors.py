"""Errors of identity verification."""

from __future__ import annotations

from court.errors import Conflict, CourtError, Forbidden, ValidationFailed


class IdNumberInvalid(ValidationFailed):
    code = "id_number_invalid"
    zh = "证件号码无效（校验位、出生日期或地区码不正确）。"
    en = "The ID number is not valid (check character, birth date or region code)."


class IdentityRejected(CourtError):
    status = 422
    code = "identity_rejected"
    zh = "实名认证未通过。"
    en = "Identity verification was refused."


class AlreadyVerified(Conflict):
    code = "identity_already_verified"
    zh = "该账户已完成实名认证。"
    en = "This account's identity is already verified."


class IdentityInUse(Conflict):
    code = "identity_in_use"
    zh = "该证件已绑定其他账户。"
    en = "This ID number is already linked to another account."


class IdentityRequired(Forbidden):
    code = "identity_required"
    zh = "请先完成实名认证（R4）。"
    en = "Verify your real-name identity first (R4)."


class ChallengeInvalid(CourtError):
    status = 422
    code = "challenge_invalid"
    zh = "验证挑战无效、已使用或已过期。"
    en = "The challenge is unknown, already used or expired."


class ReverificationRequired(Forbidden):
    code = "reverification_required"
    zh = "需要重新进行身份验证（R5）。"
    en = "Identity must be verified again first (R5)."
