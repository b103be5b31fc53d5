"""A clerk's decision as one unit of work: decide, bind and seal the packet, serve notice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from court.accounts.models import Account
from court.audit import Actor
from court.eservice.models import ServedDocument
from court.filing import review
from court.filing.notices import serve_decision_notice
from court.filing.packet import bind_packet
from court.identity.protection import IdNumberProtector
from court.registry.services import DocumentTools


@dataclass(frozen=True)
class Tools(DocumentTools):
    """A filing decision's tools: a court document's, and the court's name, the clerk's
    pseudonym in the evidence log and the ID-number matcher for the parties a complaint
    names (nothing else of an ID number is kept)."""

    court_name: str
    actor_pseudonym: str
    id_protector: IdNumberProtector


@dataclass(frozen=True)
class Outcome:
    decision: review.Decision
    notice: ServedDocument
    packet_sha256: str | None = None


def register_filing(
    session: Session, tools: Tools, actor: Actor, clerk: Account, submission_id: str
) -> Outcome:
    decision = review.register(
        session,
        tools.log,
        actor,
        clerk,
        submission_id,
        actor_pseudonym=tools.actor_pseudonym,
        protector=tools.id_protector,
    )
    packet = bind_packet(
        session,
        tools.blobs,
        tools.log,
        actor,
        decision.submission,
        decision.case,
        court_name=tools.court_name,
        seal=tools.seal,
        timestamper=tools.timestamper,
        base_url=tools.base_url,
    )
    notice = serve_decision_notice(
        session,
        tools.blobs,
        tools.log,
        actor,
        decision,
        seal=tools.seal,
        timestamper=tools.timestamper,
        base_url=tools.base_url,
    )
    return Outcome(decision, notice, packet)


def ask_for_correction(
    session: Session,
    tools: Tools,
    actor: Actor,
    clerk: Account,
    submission_id: str,
    *,
    items: list[str],
    note: str,
    deadline: dt.date,
) -> Outcome:
    decision = review.request_correction(
        session,
        tools.log,
        actor,
        clerk,
        submission_id,
        items=items,
        note=note,
        deadline=deadline,
        actor_pseudonym=tools.actor_pseudonym,
    )
    notice = serve_decision_notice(
        session,
        tools.blobs,
        tools.log,
        actor,
        decision,
        items=items,
        note=note,
        deadline=deadline,
        seal=tools.seal,
        timestamper=tools.timestamper,
        base_url=tools.base_url,
    )
    return Outcome(decision, notice)


def reject_filing(
    session: Session,
    tools: Tools,
    actor: Actor,
    clerk: Account,
    submission_id: str,
    *,
    reasons: str,
) -> Outcome:
    decision = review.reject(
        session,
        tools.log,
        actor,
        clerk,
        submission_id,
        reasons=reasons,
        actor_pseudonym=tools.actor_pseudonym,
    )
    notice = serve_decision_notice(
        session,
        tools.blobs,
        tools.log,
        actor,
        decision,
        reasons=reasons,
        seal=tools.seal,
        timestamper=tools.timestamper,
        base_url=tools.base_url,
    )
    return Outcome(decision, notice)
