"""Errors of the document registry."""

from __future__ import annotations

from court.errors import Conflict, CourtError, NotFound


class DocumentNotFound(NotFound):
    code = "document_not_found"
    zh = "未找到该文书。"
    en = "No such document."


class NotASigner(CourtError):
    status = 403
    code = "not_a_signer"
    zh = "您不是该文书的签署人，或已经签署。"
    en = "You are not a signer of this document, or you have signed it already."


class StalePreparation(Conflict):
    code = "signing_preparation_stale"
    zh = "文书已被他人签署或重新准备，请重新获取待签内容。"
    en = "The document changed since this was prepared; prepare the signature again."


class NotReadyToSeal(Conflict):
    code = "document_not_ready_to_seal"
    zh = "尚有签署人未签署，不能加盖法院印章。"
    en = "Not every signer has signed; the seal comes last."
