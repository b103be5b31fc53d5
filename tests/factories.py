"""Factories for data that tests arrange directly in the database."""

from __future__ import annotations

from sqlmodel import Session, select

from court.accounts.models import Account, Court, Role
from court.accounts.services import create_staff
from court.audit import Actor

STAFF_PASSWORD = "correct horse battery staple"


def court(session: Session) -> Court:
    found = session.exec(select(Court)).first()
    assert found is not None, "the template instance creates the court"
    return found


def staff(session: Session, role: Role = Role.CLERK, username: str | None = None) -> Account:
    return create_staff(
        session,
        Actor.system("test"),
        username=username or f"{role.value}-user",
        display_name=f"测试{role.value}",
        role=role,
        court=court(session),
        password=STAFF_PASSWORD,
    )


def document_photo(
    *,
    width: int = 1240,
    height: int = 1754,
    fmt: str = "JPEG",
    text_lines: int = 40,
    **save: object,
) -> bytes:
    """A sharp, bright photo of a page of text (black strokes on white), as a phone takes it."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for row in range(text_lines):
        y = 80 + row * (height - 160) // text_lines
        for col in range(0, width - 200, 37):
            draw.rectangle((100 + col, y, 100 + col + 22, y + 18), outline="black", width=3)
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def csrf_token(html: str) -> str:
    """The CSRF token a staff page's form carries."""
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "every form carries a CSRF token"
    return match.group(1)


def signed_in(client, username: str, password: str = STAFF_PASSWORD):
    """Sign a staff member in through the sign-in form; return the same test client."""
    page = client.get("/staff/sign-in").get_data(as_text=True)
    reply = client.post(
        "/staff/sign-in",
        data={"username": username, "password": password, "csrf_token": csrf_token(page)},
    )
    assert reply.status_code == 302, reply.get_data(as_text=True)
    return client
