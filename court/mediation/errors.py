"""Errors of online mediation, each citing the rule behind it where there is one."""

from __future__ import annotations

from court.errors import Conflict, Forbidden, NotFound


class MediationNotFound(NotFound):
    code = "mediation_not_found"
    zh = "未找到该调解。"
    en = "No such mediation."


class WrongState(Conflict):
    code = "mediation_wrong_state"
    zh = "调解当前所处阶段不允许此操作。"
    en = "The mediation is not at a stage where this can be done."


class DeadlinePassed(Conflict):
    """An act after its time limit (R11, R13); ``details`` name the rule and the due date."""

    code = "deadline_passed"
    zh = "已超过期限，不能再进行此操作。"
    en = "The time limit for this has passed."


class NotInvited(Forbidden):
    code = "not_invited"
    zh = "您不是该调解邀请的当事人，或实名信息与邀请不符。"
    en = "You are not the invited party, or your verified name does not match the invitation."


class MediatorUnavailable(Conflict):
    code = "mediator_unavailable"
    zh = "该调解员目前不能接受调解（未在名册中、已停用、未开通账号或不属于本院）。"
    en = "This mediator cannot take the mediation (not listed, inactive, no account, or "
    "another court's)."


class PersonalStatusExcluded(Conflict):
    code = "personal_status_excluded"
    zh = "涉及婚姻、收养、继承等身份关系的事项不适用此在线程序（规则 R15）。"
    en = "Matters of personal status (marriage, adoption, inheritance) are excluded (rule R15)."
