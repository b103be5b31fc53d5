"""Video-hearing eligibility as pure rules: every criterion listed with its rule, its facts
and whether it held (R1–R3a, R17–R19)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from court.eligibility import (
    CaseFacts,
    Consent,
    Finding,
    JudgeQuestion,
    Mode,
    PartyFacts,
    SelfTest,
    decide_video_eligibility,
)

FAVOURABLE = {
    JudgeQuestion.FACTS_CLEAR: Finding(True, "借条、转账记录齐全", "李法官"),
    JudgeQuestion.RIGHTS_CLEAR: Finding(True, "借贷关系明确", "李法官"),
    JudgeQuestion.DISPUTE_MINOR: Finding(True, "仅对还款期限有分歧", "李法官"),
    JudgeQuestion.MUST_CHECK_IN_COURT: Finding(False, "证据均为电子数据", "李法官"),
    JudgeQuestion.COMPLEX_VOLUMINOUS: Finding(False, "证据 4 份", "李法官"),
    JudgeQuestion.STATE_SECRETS: Finding(False, "不涉及", "李法官"),
    JudgeQuestion.MAJOR_SOCIAL_IMPACT: Finding(False, "普通民间借贷", "李法官"),
    JudgeQuestion.OTHER_REASON: Finding(False, "无", "李法官"),
}
PLAINTIFF = PartyFacts("p1", "刘小明", consent=Consent.CONSENTED, self_test=SelfTest.PASSED)
DEFENDANT = PartyFacts("p2", "孙大伟", consent=Consent.CONSENTED, self_test=SelfTest.PASSED)


def _case(*parties: PartyFacts, **changes: object) -> CaseFacts:
    base = CaseFacts(
        procedure="simple",
        cause_tags=frozenset({"simple_civil_commercial"}),
        parties=parties or (PLAINTIFF, DEFENDANT),
        findings=FAVOURABLE,
    )
    return replace(base, **changes)


def _failing(decision_criteria) -> list[tuple[str, str]]:
    return [(c.rule, c.text) for c in decision_criteria if c.holds is False]


def test_a_simple_loan_case_both_consenting_is_heard_by_video_with_every_reason_listed() -> None:
    decision = decide_video_eligibility(_case())
    assert decision.eligible is True
    assert decision.mode == Mode.VIDEO
    assert {c.rule for c in decision.criteria} == {"R17", "R18"}
    assert all(c.citation for c in decision.criteria)
    facts_clear = next(c for c in decision.criteria if c.text == "案件事实清楚")
    assert facts_clear.source == "judge"
    assert facts_clear.facts["reasons"] == "借条、转账记录齐全"
    assert [p.online for p in decision.parties] == [True, True]
    assert decision.missing == []


def test_only_one_party_consenting_makes_a_hybrid_hearing() -> None:
    decision = decide_video_eligibility(_case(PLAINTIFF, replace(DEFENDANT, consent=Consent.NONE)))
    assert decision.eligible is True
    assert decision.mode == Mode.HYBRID
    defendant = decision.parties[1]
    assert defendant.online is False
    assert next((c.rule, c.holds) for c in defendant.criteria) == ("R1", False)


def test_withdrawn_consent_or_a_failed_self_test_puts_that_party_offline() -> None:
    for change in ({"consent": Consent.WITHDRAWN}, {"self_test": SelfTest.FAILED}):
        decision = decide_video_eligibility(_case(PLAINTIFF, replace(DEFENDANT, **change)))
        assert decision.mode == Mode.HYBRID, change
        assert decision.parties[1].online is False


def test_a_notified_defendant_who_did_not_link_within_three_days_is_offline() -> None:
    late = replace(DEFENDANT, notified_defendant=True, linked_in_time=False)
    decision = decide_video_eligibility(_case(PLAINTIFF, late))
    assert decision.parties[1].online is False
    assert ("R3a", False) in [(c.rule, c.holds) for c in decision.parties[1].criteria]
    on_time = replace(late, linked_in_time=True)
    assert decide_video_eligibility(_case(PLAINTIFF, on_time)).mode == Mode.VIDEO


def test_objections_exclude_video_when_all_object_or_one_has_a_good_reason() -> None:
    both = decide_video_eligibility(
        _case(
            replace(PLAINTIFF, consent=Consent.OBJECTED, objection_reason="不会用手机"),
            replace(DEFENDANT, consent=Consent.OBJECTED, objection_reason="要当庭质证"),
        )
    )
    assert both.eligible is False
    assert ("R18", "并非各方当事人均反对在线审理") in _failing(both.criteria)

    pending = replace(DEFENDANT, consent=Consent.OBJECTED, objection_reason="需当面核对原件")
    undecided = decide_video_eligibility(_case(PLAINTIFF, pending))
    assert undecided.eligible is None
    assert undecided.missing == ["objection:p2"]

    good = replace(pending, objection_is_good=Finding(True, "原件需当庭核对", "李法官"))
    assert decide_video_eligibility(_case(PLAINTIFF, good)).eligible is False
    weak = replace(pending, objection_is_good=Finding(False, "原件已由法院核对", "李法官"))
    decided = decide_video_eligibility(_case(PLAINTIFF, weak))
    assert decided.eligible is True
    assert decided.mode == Mode.HYBRID  # the objector appears in the courtroom


def test_outside_the_ningbo_profile_video_is_not_offered() -> None:
    ordinary = decide_video_eligibility(_case(procedure="ordinary"))
    assert ordinary.eligible is False
    assert ("R17", "适用简易程序（含小额诉讼程序）") in _failing(ordinary.criteria)
    divorce = decide_video_eligibility(_case(cause_tags=frozenset({"personal_status"})))
    assert divorce.eligible is False
    assert divorce.mode == Mode.OFFLINE


def test_each_exclusion_a_judge_finds_stops_video() -> None:
    for question in (
        JudgeQuestion.MUST_CHECK_IN_COURT,
        JudgeQuestion.COMPLEX_VOLUMINOUS,
        JudgeQuestion.STATE_SECRETS,
        JudgeQuestion.MAJOR_SOCIAL_IMPACT,
        JudgeQuestion.OTHER_REASON,
    ):
        findings = {**FAVOURABLE, question: Finding(True, "经审查存在该情形", "李法官")}
        decision = decide_video_eligibility(_case(findings=findings))
        assert decision.eligible is False, question
        assert decision.mode == Mode.OFFLINE


def test_no_party_with_the_technical_means_excludes_video() -> None:
    decision = decide_video_eligibility(
        _case(
            replace(PLAINTIFF, self_test=SelfTest.FAILED),
            replace(DEFENDANT, self_test=SelfTest.NOT_DONE),
        )
    )
    assert decision.eligible is False
    assert ("R18", "至少一方当事人具备在线庭审的技术条件") in _failing(decision.criteria)


def test_missing_findings_leave_the_decision_open_and_say_which() -> None:
    decision = decide_video_eligibility(_case(findings={}))
    assert decision.eligible is None
    assert decision.mode == Mode.OFFLINE
    assert set(decision.missing) >= {"facts_clear", "rights_clear", "dispute_minor"}
    # A derived failure is still a failure, open findings or not.
    assert decide_video_eligibility(_case(findings={}, procedure="ordinary")).eligible is False


def test_an_asynchronous_trial_needs_every_r19_condition() -> None:
    applicant = replace(PLAINTIFF, applied_async_in_writing=True, agrees_async=True)
    agreeing = replace(DEFENDANT, agrees_async=True)
    findings = {
        **FAVOURABLE,
        JudgeQuestion.SIMULTANEOUS_HARD: Finding(True, "被告在国外，时差 12 小时", "李法官"),
        JudgeQuestion.MAIN_FACTS_UNDISPUTED: Finding(True, "借款事实无争议", "李法官"),
    }
    assert decide_video_eligibility(
        _case(applicant, agreeing, findings=findings)
    ).asynchronous_allowed
    not_agreed = decide_video_eligibility(_case(applicant, DEFENDANT, findings=findings))
    assert not_agreed.asynchronous_allowed is False
    no_findings = decide_video_eligibility(_case(applicant, agreeing))
    assert no_findings.asynchronous_allowed is None


parties = st.builds(
    PartyFacts,
    party_id=st.uuids().map(str),
    name=st.sampled_from(["甲", "乙", "丙"]),
    consent=st.sampled_from(list(Consent)),
    objection_is_good=st.none() | st.builds(Finding, st.booleans(), st.just("理由")),
    self_test=st.sampled_from(list(SelfTest)),
    notified_defendant=st.booleans(),
    linked_in_time=st.none() | st.booleans(),
)
findings = st.dictionaries(
    st.sampled_from(list(JudgeQuestion)), st.builds(Finding, st.booleans(), st.just("理由"))
)


@given(
    procedure=st.sampled_from(["simple", "small_claims", "ordinary", "enforcement"]),
    tags=st.frozensets(st.sampled_from(["simple_civil_commercial", "personal_status"])),
    people=st.lists(parties, min_size=1, max_size=4),
    found=findings,
)
def test_the_decision_is_consistent_with_its_own_criteria(
    procedure: str, tags: frozenset[str], people: list[PartyFacts], found: dict
) -> None:
    decision = decide_video_eligibility(CaseFacts(procedure, tags, people, found))
    holds = [c.holds for c in decision.criteria]
    if decision.eligible is True:
        assert all(h is True for h in holds)
    if any(h is False for h in holds):
        assert decision.eligible is False
    if decision.eligible is not True:
        assert decision.mode == Mode.OFFLINE
    if decision.mode == Mode.VIDEO:
        assert all(p.online for p in decision.parties)
    if decision.mode == Mode.HYBRID:
        assert any(p.online for p in decision.parties)
        assert not all(p.online for p in decision.parties)
    for party in decision.parties:
        assert party.online == all(c.holds for c in party.criteria)
        # Consent to the hearing is always among the reasons (R1).
        assert party.criteria[0].rule == "R1"
    assert decision.as_dict()["mode"] == decision.mode.value
