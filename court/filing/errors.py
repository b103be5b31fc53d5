"""Errors of filing."""

from __future__ import annotations

from court.errors import Conflict, CourtError, KeepsChanges, NotFound, ValidationFailed


class SubmissionNotFound(NotFound):
    code = "submission_not_found"
    zh = "未找到该申请。"
    en = "No such submission."


class CaseRequired(ValidationFailed):
    code = "case_required"
    zh = "撤诉、证据和补正必须指明所涉案件。"
    en = "A withdrawal, evidence or correction must name its case."


class EnforcedDocumentRequired(ValidationFailed):
    code = "enforced_document_required"
    zh = "执行申请必须写明据以执行的生效判决书、裁定书或调解书（R9）。"
    en = (
        "An enforcement application must name the effective judgment, ruling or mediation "
        "document (R9)."
    )


class NotEditable(Conflict):
    code = "submission_not_editable"
    zh = "申请已签名提交，不能再修改。"
    en = "The submission is signed and can no longer change."


class PagesIncomplete(Conflict):
    code = "pages_incomplete"
    zh = "仍有照片未上传完成，或尚未上传任何照片。"
    en = "Some pages are still uploading, or there are no pages."


class TooManyPages(CourtError):
    status = 413
    code = "too_many_pages"
    zh = "照片页数超过上限。"
    en = "Too many pages."


class PageRefused(KeepsChanges, CourtError):
    status = 422
    code = "page_refused"
    zh = "照片无法接受。"
    en = "The page cannot be accepted."


class PageHashMismatch(KeepsChanges, CourtError):
    status = 422
    code = "page_hash_mismatch"
    zh = "上传内容与声明的哈希值不一致。"
    en = "The uploaded bytes do not match the declared SHA-256."


class ManifestMismatch(CourtError):
    status = 422
    code = "manifest_mismatch"
    zh = "签名清单与已上传的材料不一致。"
    en = "The signed manifest does not match what was uploaded."


class ChallengeSpent(CourtError):
    status = 422
    code = "challenge_invalid"
    zh = "签名挑战无效、已使用或已过期。"
    en = "The challenge is unknown, already used or expired."


class ClockSkew(CourtError):
    status = 422
    code = "manifest_time_skew"
    zh = "签名时间与服务器时间相差过大。"
    en = "The manifest time is too far from the server's time."


class WrongCourt(NotFound):
    code = "submission_not_found"
    zh = "未找到该申请。"
    en = "No such submission."
