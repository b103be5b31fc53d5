"""hearing places booked before 0015 know their case party

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 19:40:00

Migration 0015 gave each hearing place the case party it was booked for, but only places
booked from then on have one. Scheduling has always booked one place per party of the
case, under the party's name and role and, once the party had linked, the party's
account; so an older place is the case party of its hearing's case with the matching
role and, if the place has an account, that account (one person is one party of a case),
else the same name and no account yet. Only a place that matches exactly one case party
gets it; witnesses, places the judge added by hand and ambiguous places (two unlinked
defendants of the same name) keep none, which is what a new place of that kind gets.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

#: A case party's role → the role of its hearing place (court.hearing.services).
_PLACE_ROLE = {
    "plaintiff": "plaintiff",
    "applicant": "plaintiff",
    "defendant": "defendant",
    "respondent": "defendant",
    "third_party": "third_party",
    "agent": "agent",
}


def upgrade() -> None:
    bind = op.get_bind()
    places = bind.execute(
        sa.text(
            "SELECT p.id, h.case_id, p.role, p.name, p.account_id "
            "FROM hearing_participant p JOIN hearing h ON h.id = p.hearing_id "
            "WHERE p.case_party_id IS NULL"
        )
    ).all()
    if not places:
        return
    parties_by_case: dict[str, list[sa.Row]] = defaultdict(list)
    for party in bind.execute(
        sa.text("SELECT id, case_id, role, name, account_id FROM case_party")
    ).all():
        parties_by_case[party.case_id].append(party)
    for place in places:
        candidates = [
            party.id
            for party in parties_by_case.get(place.case_id, [])
            if _PLACE_ROLE.get(party.role) == place.role
            and (
                party.account_id == place.account_id
                if place.account_id is not None
                else party.account_id is None and party.name == place.name
            )
        ]
        if len(candidates) == 1:
            bind.execute(
                sa.text("UPDATE hearing_participant SET case_party_id = :party WHERE id = :id"),
                {"party": candidates[0], "id": place.id},
            )


def downgrade() -> None:
    # The places keep their case party: 0015's downgrade drops the column.
    pass
