"""Demo data for `make run`: one staff member per role, mediators, a litigant with cases.

Everything here is fictional. Running it twice adds nothing the second time.
"""

from __future__ import annotations

from sqlmodel import Session, select

from court.accounts import services as accounts
from court.accounts.models import Account, Court, Role
from court.audit import Actor
from court.cases.models import CASE_MOVES, Case, CaseParty, CaseState, PartyRole, Procedure
from court.db import utcnow
from court.filing.numbering import CaseType, next_case_number
from court.identity.interfaces import IdentityKind
from court.identity.models import IdType, Person
from court.identity.protection import IdNumberProtector, mask_id_number
from court.identity.validators import resident_id_check_character
from court.instance import InstanceSecrets
from court.mediation.directory import add_mediator
from court.mediation.models import Mediator, MediatorType
from court.reference.models import CaseCause
from court.settings import Settings

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 (printed by make run, demo only)
DEMO_PHONE = "13800138000"
#: (username, name, role)
DEMO_STAFF = (
    ("clerk", "李立案", Role.CLERK),
    ("judge", "王审判", Role.JUDGE),
    ("mediator", "张调解（人民调解员）", Role.MEDIATOR),
    ("lawyer-mediator", "陈律师（律师调解员）", Role.MEDIATOR),
    ("laoniangjiu", "周阿伯（老娘舅）", Role.MEDIATOR),
    ("admin", "赵管理", Role.ADMIN),
)
ACTOR = Actor.system("demo-seed")


def demo_resident_id() -> str:
    first17 = "33020319900307123"  # 宁波海曙, born 1990-03-07
    return first17 + resident_id_check_character(first17)


def seed_demo(session: Session, settings: Settings, secrets: InstanceSecrets) -> list[str]:
    court = accounts.ensure_court(session, settings.court_code, settings.court_name)
    lines = [f"court: {court.name} ({court.code})"]
    for username, name, role in DEMO_STAFF:
        exists = session.exec(select(Account).where(Account.username == username)).first()
        if exists is None:
            accounts.create_staff(
                session,
                ACTOR,
                username=username,
                display_name=name,
                role=role,
                court=court,
                password=DEMO_PASSWORD,
            )
        lines.append(f"staff  {role.value:<9} {username:<16} password {DEMO_PASSWORD}")

    _demo_directory(session, court.id)
    litigant = session.exec(select(Account).where(Account.phone == DEMO_PHONE)).first()
    if litigant is None:
        protector = IdNumberProtector(secrets.data_key)
        number = demo_resident_id()
        person = Person(
            kind=IdentityKind.NATURAL.value,
            name="刘小明",
            id_type=IdType.RESIDENT_ID.value,
            id_match=protector.match_value(IdType.RESIDENT_ID.value, number),
            id_sealed=protector.seal(IdType.RESIDENT_ID.value, number),
            id_masked=mask_id_number(number),
            verification_method="demo-seed",
            verified_at=utcnow(),
        )
        session.add(person)
        session.flush()
        litigant = Account(
            role=Role.LITIGANT.value,
            display_name=person.name,
            phone=DEMO_PHONE,
            person_id=person.id,
            created_at=utcnow(),
        )
        session.add(litigant)
        session.flush()
        _demo_cases(session, court.id, litigant)
    lines.append(f"litigant phone {DEMO_PHONE} (sign in through the API; the code is in this log)")
    return lines


def _demo_cases(session: Session, court_id: str, litigant: Account) -> None:
    loan = session.exec(select(CaseCause).where(CaseCause.name == "民间借贷纠纷")).first()
    court = session.get(Court, court_id)
    assert court is not None
    for title, state in (
        ("刘小明诉某商贸公司买卖合同纠纷", CaseState.REGISTERED),
        ("刘小明与孙某民间借贷纠纷（诉前调解）", CaseState.PRE_FILING),
    ):
        # Numbers come from the court's counter, as a clerk's registration takes them.
        number = (
            next_case_number(
                session,
                court_id=court_id,
                court_code=court.code,
                year=utcnow().year,
                case_type=CaseType.CIVIL_FIRST_INSTANCE,
            )
            if state is CaseState.REGISTERED
            else None
        )
        case = Case(
            court_id=court_id,
            case_number=number,
            title=title,
            cause_id=loan.id if loan else None,
            procedure=Procedure.SIMPLE.value,
            state=CaseState.PRE_FILING.value,
            created_at=utcnow(),
        )
        CASE_MOVES.start(session, case, CaseState.PRE_FILING, ACTOR, "demo data")
        if state is CaseState.REGISTERED:
            CASE_MOVES.move(session, case, CaseState.REGISTERED, ACTOR, "demo data")
            case.registered_at = utcnow()
        session.flush()
        session.add(
            CaseParty(
                case_id=case.id,
                account_id=litigant.id,
                role=PartyRole.PLAINTIFF.value,
                name=litigant.display_name,
            )
        )
    session.flush()


#: The published directory: a people's mediator, a lawyer mediator, a community elder.
DEMO_DIRECTORY = (
    ("mediator", MediatorType.PEOPLES, "海曙区人民调解委员会", ["simple_civil_commercial"], False),
    (
        "lawyer-mediator",
        MediatorType.LAWYER,
        "浙江甬江律师事务所",
        ["simple_civil_commercial"],
        True,
    ),
    (
        "laoniangjiu",
        MediatorType.COMMUNITY_ELDER,
        "鼓楼街道老娘舅工作室",
        ["personal_status"],
        False,
    ),
)


def _demo_directory(session: Session, court_id: str) -> None:
    for username, kind, organisation, areas, fee in DEMO_DIRECTORY:
        account = session.exec(select(Account).where(Account.username == username)).one()
        if session.exec(select(Mediator).where(Mediator.account_id == account.id)).first():
            continue
        add_mediator(
            session,
            ACTOR,
            name=account.display_name.split("（")[0],
            type=kind,
            organisation=organisation,
            court_id=court_id,
            areas=areas,
            charges_fee=fee,
            languages=["普通话", "宁波话"],
            account_id=account.id,
            availability="工作日 9:00-17:00",
            expertise="邻里、借贷、买卖合同纠纷",
        )
