"""Command-line operations: `flask --app wsgi court ...`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlmodel import select

from court import components
from court.accounts import services as accounts
from court.accounts.models import STAFF_ROLES, Account, AccountState, Role
from court.api.idempotency import prune_idempotency_records
from court.audit import Actor
from court.db import get_engine, unit_of_work
from court.filing.uploads import remove_abandoned_uploads
from court.instance import instance_secrets
from court.migrate import upgrade
from court.reference.services import load_case_causes

court_cli = AppGroup("court", help="Set up and run the micro-court.")
staff_cli = AppGroup("staff", help="Manage staff accounts.")

CLI_ACTOR = Actor.system("cli")


def initialise(app: Flask) -> dict[str, object]:
    """Migrate the database, create missing keys and certificates, load reference data."""
    engine = get_engine(app)
    upgrade(engine)
    report = components.pki().init()
    settings = components.settings()
    with unit_of_work(engine) as session:
        accounts.ensure_court(session, settings.court_code, settings.court_name)
        causes = load_case_causes(session)
    return {"created": report.created, "existing": report.existing, "case_causes_added": causes}


@court_cli.command("init")
def init_command() -> None:
    """Create the database schema, the court PKI and reference data (idempotent)."""
    from flask import current_app

    result = initialise(current_app)
    click.echo(f"PKI created: {', '.join(result['created']) or 'nothing'}")  # type: ignore[arg-type]
    click.echo(f"PKI already present: {', '.join(result['existing']) or 'nothing'}")  # type: ignore[arg-type]
    click.echo(f"case causes added: {result['case_causes_added']}")


@court_cli.command("seed-demo")
def seed_demo_command() -> None:
    """Load demo data: one staff member per role, a few mediators, a litigant with cases."""
    from court.demo import seed_demo

    with unit_of_work(get_engine()) as session:
        lines = seed_demo(session, components.settings(), instance_secrets())
    for line in lines:
        click.echo(line)


@court_cli.command("prune")
def prune_command() -> None:
    """Delete idempotency records past retention and leftovers of interrupted writes."""
    import datetime as dt

    hours = components.settings().idempotency_retention_hours
    with unit_of_work(get_engine()) as session:
        count = prune_idempotency_records(session, older_than=dt.timedelta(hours=hours))
    click.echo(f"pruned {count} idempotency records older than {hours} h")
    removed = components.blobs().remove_stale_temporaries(older_than_seconds=3600)
    click.echo(f"removed {removed} temporary blob files older than 1 h")
    folder = components.settings().instance_path / "uploads"
    with unit_of_work(get_engine()) as session:
        dropped = remove_abandoned_uploads(session, folder, older_than=dt.timedelta(days=7))
    click.echo(f"dropped {dropped} unfinished page uploads older than 7 days")


@court_cli.command("backup")
@click.argument("destination", type=click.Path(path_type=Path))
def backup_command(destination: Path) -> None:
    """Back up the database, the blobs and the keys into a new folder (consistent: the
    database snapshot first, then the immutable blobs it refers to)."""
    from court.backup import BackupError, backup

    try:
        report = backup(
            get_engine(),
            components.settings().instance_path,
            components.evidence_log(),
            destination,
        )
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"backup in {report.folder}: {report.files} files, {report.bytes} bytes, "
        f"evidence log at {report.log_size} leaves"
    )


@court_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore_command(source: Path) -> None:
    """Restore a backup into this (fresh) instance and its (empty) database, then check
    every blob and prove the log extends the one recorded in the backup."""
    from court.backup import BackupError, check_restored, restore_files

    settings = components.settings()
    get_engine().dispose()
    try:
        manifest = restore_files(source, settings.instance_path, settings.sqlalchemy_url)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored from {source} ({manifest['database']}); secrets: {manifest['secrets']}")
    get_engine().dispose()  # new connections see the restored database
    check = check_restored(
        get_engine(), settings.instance_path, components.evidence_log(), manifest
    )
    click.echo(
        f"checked: {check.blobs} blobs match their hashes, {check.referenced} references "
        f"resolve, the evidence log ({check.log_size} leaves) extends the backup's"
    )


@court_cli.command("mediation-sweep")
def mediation_sweep_command() -> None:
    """Apply the mediation time limits that run out by themselves (R11, R13): run it from
    cron every few minutes; running it again the same day changes nothing more."""
    from court.mediation.services import sweep

    with unit_of_work(get_engine()) as session:
        report = sweep(session, components.working_calendar())
    click.echo(
        f"to court assignment: {report.to_assignment}; mediator did not answer: "
        f"{report.unanswered}; reminded: {report.reminded}; expired: {report.expired}"
    )


@staff_cli.command("create")
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True, help="Name shown on pages and documents.")
@click.option("--role", type=click.Choice(sorted(r.value for r in STAFF_ROLES)), required=True)
@click.option("--court", "court_code", default=None, help="Court code; default: this court.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def staff_create(
    username: str, display_name: str, role: str, court_code: str | None, password_stdin: bool
) -> None:
    """Create a staff account (password: prompted, or one line on stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with unit_of_work(get_engine()) as session:
        court = accounts.get_court_by_code(session, court_code or components.settings().court_code)
        account = accounts.create_staff(
            session,
            CLI_ACTOR,
            username=username,
            display_name=display_name,
            role=Role(role),
            court=court,
            password=password,
        )
    click.echo(f"created {role} {username} ({account.id})")


@staff_cli.command("disable")
@click.argument("username")
def staff_disable(username: str) -> None:
    """Disable a staff account and end its sessions."""
    _set_state(username, AccountState.DISABLED)


@staff_cli.command("enable")
@click.argument("username")
def staff_enable(username: str) -> None:
    """Enable a disabled staff account."""
    _set_state(username, AccountState.ACTIVE)


def _set_state(username: str, state: AccountState) -> None:
    with unit_of_work(get_engine()) as session:
        account = session.exec(select(Account).where(Account.username == username)).first()
        if account is None:
            raise click.ClickException(f"no staff account {username!r}")
        accounts.set_account_state(session, CLI_ACTOR, account, state)
    click.echo(f"{username}: {state.value}")


def register_cli(app: Flask) -> None:
    court_cli.add_command(staff_cli)
    app.cli.add_command(court_cli)
