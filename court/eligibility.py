"""Whether a case may be heard by video, and for whom, as explicit rules (R1–R3a, R17–R19).

Plain data in, a decision out: no Flask, no database. Every criterion the decision rests on
is listed with whether it held, the facts it used, the rule and its citation, so that a
judge — and a party — can see why. Facts only a judge can find (facts clear, rights and
obligations clear, dispute minor, complexity, social impact, the need to inspect originals
…) are :class:`Finding` objects the judge records with reasons; everything else is derived
from the case (procedure, case-cause tags), the consent records and the self-tests.

A finding the judge has not yet made leaves its criterion open (``holds is None``) and the
decision indeterminate, naming what is missing; nothing is assumed.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SIMPLE_CIVIL_COMMERCIAL = "simple_civil_commercial"
SIMPLE_PROCEDURES = frozenset({"simple", "small_claims"})


class JudgeQuestion(enum.StrEnum):
    """What only a judge can find, each with the rule it serves."""

    FACTS_CLEAR = "facts_clear"  # R17
    RIGHTS_CLEAR = "rights_clear"  # R17
    DISPUTE_MINOR = "dispute_minor"  # R17
    MUST_CHECK_IN_COURT = "must_check_in_court"  # R18: identity, originals, physical evidence
    COMPLEX_VOLUMINOUS = "complex_voluminous"  # R18
    STATE_SECRETS = "state_secrets"  # R18
    MAJOR_SOCIAL_IMPACT = "major_social_impact"  # R18
    OTHER_REASON = "other_reason"  # R18: another reason the court finds
    SIMULTANEOUS_HARD = "simultaneous_hard"  # R19
    MAIN_FACTS_UNDISPUTED = "main_facts_undisputed"  # R19


QUESTION_TEXT: Mapping[JudgeQuestion, str] = {
    JudgeQuestion.FACTS_CLEAR: "案件事实清楚",
    JudgeQuestion.RIGHTS_CLEAR: "权利义务关系明确",
    JudgeQuestion.DISPUTE_MINOR: "争议不大",
    JudgeQuestion.MUST_CHECK_IN_COURT: "需要当庭核实身份、核对证据原件或查看实物",
    JudgeQuestion.COMPLEX_VOLUMINOUS: "案件疑难复杂、证据繁多",
    JudgeQuestion.STATE_SECRETS: "涉及国家安全、国家秘密",
    JudgeQuestion.MAJOR_SOCIAL_IMPACT: "案件具有重大社会影响",
    JudgeQuestion.OTHER_REASON: "法院认为存在其他不宜在线审理的情形",
    JudgeQuestion.SIMULTANEOUS_HARD: "各方当事人同时在线参与庭审确有困难",
    JudgeQuestion.MAIN_FACTS_UNDISPUTED: "当事人对案件主要事实和证据不存在争议",
}


@dataclass(frozen=True)
class Finding:
    """A judge's finding on one question, with the reasons given."""

    holds: bool
    reasons: str
    judge: str = ""


class Consent(enum.StrEnum):
    """A party's position on the *hearing* stage (R1: other stages never count)."""

    CONSENTED = "consented"
    WITHDRAWN = "withdrawn"
    OBJECTED = "objected"
    NONE = "none"


class SelfTest(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_DONE = "not_done"


@dataclass(frozen=True)
class PartyFacts:
    party_id: str
    name: str
    #: Consent recorded for the hearing stage of this case (R1, R3b).
    consent: Consent = Consent.NONE
    #: An objection's stated reason, and the judge's finding on whether it is a good one.
    objection_reason: str | None = None
    objection_is_good: Finding | None = None
    self_test: SelfTest = SelfTest.NOT_DONE
    #: R3a: a defendant brought in by notice must verify and link within 3 days.
    notified_defendant: bool = False
    linked_in_time: bool | None = None
    #: R3: the judge granted another party's request that this one appear offline.
    ordered_offline: Finding | None = None
    #: R19: this party applied in writing for an asynchronous trial; agrees to one.
    applied_async_in_writing: bool = False
    agrees_async: bool = False


@dataclass(frozen=True)
class CaseFacts:
    procedure: str
    cause_tags: frozenset[str]
    parties: Sequence[PartyFacts]
    findings: Mapping[JudgeQuestion, Finding] = field(default_factory=dict)


@dataclass(frozen=True)
class Criterion:
    rule: str
    citation: str
    text: str
    #: True / False, or None while a judge's finding is missing.
    holds: bool | None
    facts: Mapping[str, Any]
    #: "derived" from the record, or "judge" (with the judge's reasons in ``facts``).
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "citation": self.citation,
            "text": self.text,
            "holds": self.holds,
            "facts": dict(self.facts),
            "source": self.source,
        }


class Mode(enum.StrEnum):
    VIDEO = "video"  # every party online
    HYBRID = "hybrid"  # R2: some online, the others in the courtroom
    OFFLINE = "offline"


@dataclass(frozen=True)
class PartyMode:
    party_id: str
    name: str
    online: bool
    criteria: Sequence[Criterion]


@dataclass(frozen=True)
class Decision:
    #: True when video is allowed, False when excluded, None while findings are missing.
    eligible: bool | None
    mode: Mode
    parties: Sequence[PartyMode]
    criteria: Sequence[Criterion]
    #: R19: whether a recorded asynchronous trial is allowed (None: findings missing).
    asynchronous_allowed: bool | None
    asynchronous_criteria: Sequence[Criterion]
    #: The judge's questions still unanswered, and "objection:<party id>" for an objection
    #: whose reason the judge has not yet weighed.
    missing: Sequence[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "eligible": self.eligible,
            "mode": self.mode.value,
            "parties": [
                {
                    "party_id": p.party_id,
                    "name": p.name,
                    "online": p.online,
                    "criteria": [c.as_dict() for c in p.criteria],
                }
                for p in self.parties
            ],
            "criteria": [c.as_dict() for c in self.criteria],
            "asynchronous_allowed": self.asynchronous_allowed,
            "asynchronous_criteria": [c.as_dict() for c in self.asynchronous_criteria],
            "missing": list(self.missing),
        }


def _judge(
    facts: CaseFacts,
    question: JudgeQuestion,
    rule: str,
    citation: str,
    *,
    wanted: bool,
    missing: list[JudgeQuestion],
) -> Criterion:
    """A criterion resting on a judge's finding; it holds when the finding is ``wanted``."""
    finding = facts.findings.get(question)
    if finding is None:
        missing.append(question)
        return Criterion(rule, citation, QUESTION_TEXT[question], None, {"finding": None}, "judge")
    return Criterion(
        rule,
        citation,
        QUESTION_TEXT[question] if wanted else f"不存在：{QUESTION_TEXT[question]}",
        finding.holds == wanted,
        {"finding": finding.holds, "reasons": finding.reasons, "judge": finding.judge},
        "judge",
    )


def _all(criteria: Sequence[Criterion]) -> bool | None:
    """False if any criterion fails, else None if any is open, else True."""
    if any(c.holds is False for c in criteria):
        return False
    if any(c.holds is None for c in criteria):
        return None
    return True


def _party_mode(party: PartyFacts) -> PartyMode:
    """R1, R2, R3, R3a: whether this party takes part online."""
    criteria = [
        Criterion(
            "R1",
            "OLR 4",
            "当事人同意以在线方式参加庭审（对其他诉讼环节的同意不视为对庭审的同意）",
            party.consent == Consent.CONSENTED,
            {"consent": party.consent.value},
            "derived",
        ),
        Criterion(
            "R3",
            "OLR 5",
            "当事人具备在线参加庭审的技术条件（设备自检通过）",
            party.self_test == SelfTest.PASSED,
            {"self_test": party.self_test.value},
            "derived",
        ),
    ]
    if party.notified_defendant:
        criteria.append(
            Criterion(
                "R3a",
                "OLR 10",
                "被通知的被告在 3 日内完成身份认证并关联案件",
                bool(party.linked_in_time),
                {"linked_in_time": party.linked_in_time},
                "derived",
            )
        )
    if party.ordered_offline is not None:
        criteria.append(
            Criterion(
                "R3",
                "OLR 5",
                "法院未决定该当事人线下参加",
                not party.ordered_offline.holds,
                {
                    "ordered_offline": party.ordered_offline.holds,
                    "reasons": party.ordered_offline.reasons,
                },
                "judge",
            )
        )
    online = all(c.holds for c in criteria)
    return PartyMode(party.party_id, party.name, online, criteria)


def decide_video_eligibility(facts: CaseFacts) -> Decision:
    """Decide whether, and for whom, the hearing may be held by video."""
    missing: list[JudgeQuestion] = []
    profile = [
        Criterion(
            "R17",
            "Ningbo; CPL",
            "适用简易程序（含小额诉讼程序）",
            facts.procedure in SIMPLE_PROCEDURES,
            {"procedure": facts.procedure},
            "derived",
        ),
        Criterion(
            "R17",
            "Ningbo",
            "案由属于简单民商事纠纷",
            SIMPLE_CIVIL_COMMERCIAL in facts.cause_tags,
            {"cause_tags": sorted(facts.cause_tags)},
            "derived",
        ),
        _judge(facts, JudgeQuestion.FACTS_CLEAR, "R17", "CPL", wanted=True, missing=missing),
        _judge(facts, JudgeQuestion.RIGHTS_CLEAR, "R17", "CPL", wanted=True, missing=missing),
        _judge(facts, JudgeQuestion.DISPUTE_MINOR, "R17", "CPL", wanted=True, missing=missing),
    ]
    parties = [_party_mode(p) for p in facts.parties]
    objecting = [p for p in facts.parties if p.consent == Consent.OBJECTED]
    good_objections = [
        p for p in objecting if p.objection_is_good is not None and p.objection_is_good.holds
    ]
    unjudged_objections = [p for p in objecting if p.objection_is_good is None]
    exclusions = [
        Criterion(
            "R18",
            "OLR 21(1)",
            "并非各方当事人均反对在线审理",
            bool(facts.parties) and len(objecting) < len(facts.parties),
            {"objecting": [p.name for p in objecting], "parties": len(facts.parties)},
            "derived",
        ),
        Criterion(
            "R18",
            "OLR 21(1)",
            "没有当事人以正当理由反对在线审理",
            None if unjudged_objections and not good_objections else not good_objections,
            {
                "good_objections": [
                    {"name": p.name, "reason": p.objection_reason} for p in good_objections
                ],
                "awaiting_judge": [p.name for p in unjudged_objections],
            },
            "judge" if objecting else "derived",
        ),
        Criterion(
            "R18",
            "OLR 21(2)",
            "至少一方当事人具备在线庭审的技术条件",
            any(p.self_test == SelfTest.PASSED for p in facts.parties),
            {"self_tests": {p.name: p.self_test.value for p in facts.parties}},
            "derived",
        ),
        _judge(
            facts,
            JudgeQuestion.MUST_CHECK_IN_COURT,
            "R18",
            "OLR 21(3)",
            wanted=False,
            missing=missing,
        ),
        _judge(
            facts,
            JudgeQuestion.COMPLEX_VOLUMINOUS,
            "R18",
            "OLR 21(4)",
            wanted=False,
            missing=missing,
        ),
        _judge(
            facts, JudgeQuestion.STATE_SECRETS, "R18", "OLR 21(5)", wanted=False, missing=missing
        ),
        _judge(
            facts,
            JudgeQuestion.MAJOR_SOCIAL_IMPACT,
            "R18",
            "OLR 21(6)",
            wanted=False,
            missing=missing,
        ),
        _judge(
            facts, JudgeQuestion.OTHER_REASON, "R18", "OLR 21(7)", wanted=False, missing=missing
        ),
    ]
    criteria = [*profile, *exclusions]
    eligible = _all(criteria)
    online = [p for p in parties if p.online]
    if eligible is not True or not online:
        mode = Mode.OFFLINE
    elif len(online) == len(parties):
        mode = Mode.VIDEO
    else:
        mode = Mode.HYBRID
    async_missing: list[JudgeQuestion] = []
    async_criteria = [
        Criterion(
            "R19",
            "OLR 20",
            "适用小额诉讼程序或简易程序",
            facts.procedure in SIMPLE_PROCEDURES,
            {"procedure": facts.procedure},
            "derived",
        ),
        _judge(
            facts,
            JudgeQuestion.SIMULTANEOUS_HARD,
            "R19",
            "OLR 20",
            wanted=True,
            missing=async_missing,
        ),
        Criterion(
            "R19",
            "OLR 20",
            "一方当事人书面申请非同步审理",
            any(p.applied_async_in_writing for p in facts.parties),
            {"applied": [p.name for p in facts.parties if p.applied_async_in_writing]},
            "derived",
        ),
        Criterion(
            "R19",
            "OLR 20",
            "各方当事人均同意非同步审理",
            bool(facts.parties) and all(p.agrees_async for p in facts.parties),
            {"agreeing": [p.name for p in facts.parties if p.agrees_async]},
            "derived",
        ),
        _judge(
            facts,
            JudgeQuestion.MAIN_FACTS_UNDISPUTED,
            "R19",
            "OLR 20",
            wanted=True,
            missing=async_missing,
        ),
    ]
    return Decision(
        eligible=eligible,
        mode=mode,
        parties=parties,
        criteria=criteria,
        asynchronous_allowed=_all(async_criteria),
        asynchronous_criteria=async_criteria,
        missing=[
            *dict.fromkeys(q.value for q in missing),
            *(f"objection:{p.party_id}" for p in unjudged_objections),
        ],
    )
