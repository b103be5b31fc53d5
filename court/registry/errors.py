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


class InPersonSigningOnly(CourtError):
    """R15: records and agreements in personal-status matters are not signed online."""

    status = 409
    code = "in_person_signing_only"
    zh = (
        "本案涉及婚姻、收养、继承等身份关系，调解笔录和调解协议不适用在线签名，"
        "须到法院或调解组织当面签署（规则 R15）。"
    )
    en = (
        "This matter concerns a personal-status relation: the record and the agreement are "
        "signed in person, not online (rule R15)."
    )


class NotForInPersonSigning(Conflict):
    code = "not_for_in_person_signing"
    zh = "该文书不是当面签署的文书，或已经签署完毕。"
    en = "This document is not awaiting an in-person signature."
