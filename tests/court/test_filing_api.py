"""Filing by photo through the API (R6–R9): open, upload resumably, sign, receipt."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from PIL import Image
from sqlmodel import Session, func, select

from court.filing.models import Page, Submission, Upload
from litigant_client import Filing, LitigantClient
from signing.evidence.receipt import Receipt, verify_receipt
from tests.factories import document_photo

COMPLAINT = {
    "parties": [
        {"role": "plaintiff", "name": "刘小明"},
        {"role": "defendant", "name": "宁波某商贸有限公司", "kind": "organisation"},
    ],
    "claims": ["判令被告支付货款人民币 12,000 元"],
    "facts": "2026 年 3 月原告向被告供货，被告至今未付款。",
}


def _filed(make_litigant) -> tuple[LitigantClient, Filing, dict]:
    litigant = make_litigant()
    filing = Filing(litigant)
    return litigant, filing, filing.open("complaint", details=COMPLAINT)


def _sign(
    litigant: LitigantClient,
    submission_id: str,
    manifest: dict,
    *,
    signer: LitigantClient | None = None,
    device_id: str | None = None,
    expect: int,
) -> dict:
    """Post a signature over ``manifest`` as given (the tests tamper with it first)."""
    return litigant.call(
        "POST",
        f"/submissions/{submission_id}/sign",
        {
            "manifest": manifest,
            "device_id": device_id or litigant.device_id,
            "signature": (signer or litigant).sign_statement(manifest),
        },
        expect=expect,
    )


def _blob_files(app: Flask) -> list[Path]:
    root = app.extensions["court.settings"].instance_path / "blobs" / "sha256"
    return [p for p in root.rglob("*") if p.is_file()]


def _part_files(app: Flask) -> list[Path]:
    folder = app.extensions["court.settings"].instance_path / "uploads"
    return list(folder.glob("*.part")) if folder.exists() else []


def test_a_three_page_complaint_is_filed_and_its_receipt_verifies_offline(make_litigant) -> None:
    litigant, filing, draft = _filed(make_litigant)
    photos = [document_photo(text_lines=30 + i) for i in range(3)]
    for photo in photos:
        filing.upload_page(draft["id"], photo, chunk=64 * 1024)
    current = litigant.call("GET", f"/submissions/{draft['id']}")
    assert [p["original_sha256"] for p in current["pages"]] == [
        hashlib.sha256(p).hexdigest() for p in photos
    ]
    assert all(p["warnings"] == [] for p in current["pages"])
    signed = filing.sign(draft["id"])
    assert signed["submission"]["state"] == "submitted"
    receipt = Receipt.from_json(signed["receipt"])
    verified = verify_receipt(receipt, signed["log_key"])
    assert verified.leaf_index == signed["submission"]["log_index"]
    assert b'"event":"submission.signed"' in receipt.record
    assert signed["submission"]["manifest_sha256"].encode() in receipt.record


def test_an_upload_resumes_after_a_dropped_connection(make_litigant, app: Flask) -> None:
    litigant, filing, draft = _filed(make_litigant)
    photo = document_photo()
    location = filing.start_page(draft["id"], photo)
    first = filing.send_bytes(location, photo[:100_000], 0)
    assert first.headers["Upload-Offset"] == "100000"
    # The phone lost the network; it asks where to continue, and finishes.
    assert filing.offset(location) == 100_000
    stale = filing.send_bytes(location, photo[50_000:], 50_000)
    assert stale.status == 409
    done = filing.send_bytes(location, photo[100_000:], 100_000)
    assert done.status == 204
    assert "Page-Id" in done.headers
    assert litigant.call("GET", f"/submissions/{draft['id']}")["pages"][0]["original_size"] == len(
        photo
    )
    assert _part_files(app) == []


def test_an_upload_resumes_after_a_server_restart(
    make_litigant, app: Flask, template_instance: Path
) -> None:
    from court import create_app
    from court.db import get_engine
    from litigant_client import WsgiTransport

    litigant, filing, draft = _filed(make_litigant)
    photo = document_photo()
    location = filing.start_page(draft["id"], photo)
    filing.send_bytes(location, photo[:70_000], 0)
    settings = app.extensions["court.settings"]
    restarted = create_app(
        {
            "env": "testing",
            "instance_path": settings.instance_path,
            "database_url": settings.database_url,
        }
    )
    litigant.transport = WsgiTransport(restarted.test_client())
    resumed = Filing(litigant)
    try:
        offset = resumed.offset(location)
        assert offset == 70_000
        assert resumed.send_bytes(location, photo[offset:], offset).status == 204
    finally:
        get_engine(restarted).dispose()


def _bomb_png() -> bytes:
    out = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(out, "PNG")
    return out.getvalue()


def _truncated_jpeg() -> bytes:
    photo = document_photo()
    return photo[: len(photo) // 2]


def _jpeg_with_zip() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("payload.txt", "hidden")
    return document_photo() + archive.getvalue()


BAD_PAGES = {
    "text named .jpg": (b"this is not a photo\n" * 50, "unsupported_type"),
    "pdf named .jpg": (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" * 20,
        "unsupported_type",
    ),
    "svg": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>' * 5,
        "unsupported_type",
    ),
    "truncated jpeg": (_truncated_jpeg(), "truncated"),
    "decompression bomb": (_bomb_png(), "decompression_bomb"),
    "jpeg with a zip appended": (_jpeg_with_zip(), "trailing_data"),
}


@pytest.mark.parametrize("name", sorted(BAD_PAGES))
def test_bad_pages_are_refused_and_nothing_is_stored(
    name: str, make_litigant, app: Flask, session: Session
) -> None:
    data, reason = BAD_PAGES[name]
    _litigant, filing, draft = _filed(make_litigant)
    location = filing.start_page(draft["id"], data)
    reply = filing.send_bytes(location, data, 0)
    assert reply.status == 422, reply.body
    assert reply.body["error"]["code"] == "page_refused"
    assert reply.body["error"]["details"]["reason"] == reason
    assert session.exec(select(func.count()).select_from(Page)).one() == 0
    assert session.exec(select(func.count()).select_from(Upload)).one() == 0
    assert _blob_files(app) == []
    assert _part_files(app) == []


def test_a_page_that_does_not_match_its_declared_hash_is_refused(
    make_litigant, app: Flask, session: Session
) -> None:
    _litigant, filing, draft = _filed(make_litigant)
    photo = document_photo()
    location = filing.start_page(draft["id"], photo, sha256=hashlib.sha256(b"other").hexdigest())
    reply = filing.send_bytes(location, photo, 0)
    assert reply.body["error"]["code"] == "page_hash_mismatch"
    assert session.exec(select(func.count()).select_from(Page)).one() == 0
    assert _blob_files(app) == []


def test_empty_and_oversized_pages_are_refused_at_creation(make_litigant, app: Flask) -> None:
    litigant, _filing, draft = _filed(make_litigant)
    headers = {
        "Authorization": f"Bearer {litigant.access_token}",
        "Tus-Resumable": "1.0.0",
        "Upload-Metadata": "sha256 " + "MA==",
    }
    base = f"/api/v1/submissions/{draft['id']}/pages"
    empty = litigant.transport.send("POST", base, None, {**headers, "Upload-Length": "0"})
    assert empty.status == 422
    huge = litigant.transport.send(
        "POST", base, None, {**headers, "Upload-Length": str(26 * 1024 * 1024)}
    )
    assert huge.status == 413
    no_tus = litigant.transport.send(
        "POST", base, None, {"Authorization": headers["Authorization"], "Upload-Length": "10"}
    )
    assert no_tus.status == 412
    assert _part_files(app) == []


def test_tus_discovery_answers_options_at_every_upload_url(make_litigant, app: Flask) -> None:
    """tus 1.0 OPTIONS: 204 with Tus-Version (a MUST), the extensions the README promises in
    Tus-Extension, and in Tus-Max-Size the very limit creation enforces."""
    litigant, filing, draft = _filed(make_litigant)
    pages = f"/api/v1/submissions/{draft['id']}/pages"
    location = filing.start_page(draft["id"], document_photo())
    limit = app.extensions["court.settings"].page_max_bytes
    for url in (pages, location, "/api/v1/uploads"):
        # Discovery needs neither a token nor Tus-Resumable (a client asks before it knows).
        reply = litigant.transport.send("OPTIONS", url, None, {})
        assert reply.status == 204, url
        assert reply.headers["Tus-Resumable"] == "1.0.0"
        assert reply.headers["Tus-Version"] == "1.0.0"
        assert set(reply.headers["Tus-Extension"].split(",")) == {"creation", "termination"}
        assert reply.headers["Tus-Max-Size"] == str(limit)
    headers = {
        "Authorization": f"Bearer {litigant.access_token}",
        "Tus-Resumable": "1.0.0",
        "Upload-Metadata": "sha256 "
        + base64.b64encode(hashlib.sha256(b"page").hexdigest().encode()).decode(),
    }
    over = litigant.transport.send(
        "POST", pages, None, {**headers, "Upload-Length": str(limit + 1)}
    )
    assert over.status == 413
    at_limit = litigant.transport.send(
        "POST", pages, None, {**headers, "Upload-Length": str(limit)}
    )
    assert at_limit.status == 201
    # The other methods on the same URLs still work as before.
    assert filing.offset(location) == 0


def _exif_rotated_with_gps() -> bytes:
    image = Image.open(io.BytesIO(document_photo(width=1754, height=1240)))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8769)[0x9003] = "2026:11:20 14:30:00"  # DateTimeOriginal, China time
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (29.0, 52.0, 10.0)
    gps[3] = "E"
    gps[4] = (121.0, 33.0, 5.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _heic() -> bytes:
    import pillow_heif

    image = Image.open(io.BytesIO(document_photo()))
    heif = pillow_heif.from_pillow(image)
    out = io.BytesIO()
    heif.save(out, quality=80)
    return out.getvalue()


def _cmyk_jpeg() -> bytes:
    image = Image.open(io.BytesIO(document_photo())).convert("CMYK")
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def _png_alpha() -> bytes:
    image = Image.open(io.BytesIO(document_photo())).convert("RGBA")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


GOOD_PAGES = {
    "heic": (_heic, "heif"),
    "exif orientation 6 with gps": (_exif_rotated_with_gps, "jpeg"),
    "progressive jpeg": (lambda: document_photo(progressive=True), "jpeg"),
    "cmyk jpeg": (_cmyk_jpeg, "jpeg"),
    "png with alpha": (_png_alpha, "png"),
    "webp": (lambda: document_photo(fmt="WEBP"), "webp"),
}


@pytest.mark.parametrize("name", sorted(GOOD_PAGES))
def test_phone_photo_formats_are_accepted_with_a_clean_display_copy(
    name: str, make_litigant, app: Flask
) -> None:
    make, fmt = GOOD_PAGES[name]
    data = make()
    litigant, filing, draft = _filed(make_litigant)
    filing.upload_page(draft["id"], data)
    page = litigant.call("GET", f"/submissions/{draft['id']}")["pages"][0]
    assert page["format"] == fmt
    blobs = app.extensions["court.blobs"]
    with blobs.open(page["original_sha256"]) as fh:
        assert fh.read() == data  # the original, byte for byte
    from court.db import get_engine, open_session

    s = open_session(get_engine(app), write=False)
    display_sha = s.exec(select(Page.display_sha256)).one()
    s.close()
    with blobs.open(display_sha) as fh:
        display = Image.open(io.BytesIO(fh.read()))
        assert display.format == "JPEG"
        assert not display.getexif()
        assert "icc_profile" not in display.info
        assert "exif" not in display.info
    if name.startswith("exif"):
        assert page["display_height"] > page["display_width"]  # rotated upright
        assert page["captured_at"] == "2026-11-20T06:30:00Z"


def test_the_manifest_must_match_what_was_uploaded(make_litigant, session: Session) -> None:
    litigant, filing, draft = _filed(make_litigant)
    for i in range(2):
        filing.upload_page(draft["id"], document_photo(text_lines=30 + i))
    manifest = filing.manifest(draft["id"])
    reordered = {**manifest, "pages": list(reversed(manifest["pages"]))}
    other_kind = {**manifest, "kind": "withdrawal"}
    dropped = {**manifest, "pages": manifest["pages"][:1]}
    for bad, field in ((reordered, "pages"), (other_kind, "kind"), (dropped, "pages")):
        reply = _sign(litigant, draft["id"], bad, expect=422)
        assert reply["error"]["code"] == "manifest_mismatch"
        assert field in reply["error"]["details"]["fields"]
    state = session.exec(select(Submission.state, Submission.challenge_used_at)).one()
    assert state == ("draft", None)
    assert filing.sign(draft["id"])["submission"]["state"] == "submitted"


def test_a_challenge_is_spent_by_the_signature(make_litigant) -> None:
    litigant, filing, draft = _filed(make_litigant)
    filing.upload_page(draft["id"], document_photo())
    manifest = filing.manifest(draft["id"])
    filing.sign(draft["id"], manifest=manifest)
    again = _sign(litigant, draft["id"], manifest, expect=422)
    assert again["error"]["code"] == "challenge_invalid"


def test_an_expired_challenge_is_refused_and_can_be_renewed(make_litigant) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC), tick=False) as t:
        litigant, filing, draft = _filed(make_litigant)
        filing.upload_page(draft["id"], document_photo())
        t.shift(dt.timedelta(minutes=31))
        manifest = filing.manifest(draft["id"], at="2026-11-28T09:31:00Z")
        reply = _sign(litigant, draft["id"], manifest, expect=422)
        assert reply["error"]["code"] == "challenge_invalid"
        litigant.call("POST", f"/submissions/{draft['id']}/challenge")
        fresh = filing.manifest(draft["id"], at="2026-11-28T09:31:00Z")
        assert fresh["challenge"] != manifest["challenge"]
        assert filing.sign(draft["id"], manifest=fresh)["submission"]["state"] == "submitted"


def test_a_signature_by_another_key_or_a_revoked_certificate_is_refused(make_litigant) -> None:
    litigant, filing, draft = _filed(make_litigant)
    filing.upload_page(draft["id"], document_photo())
    manifest = filing.manifest(draft["id"])
    forged = LitigantClient(litigant.transport, key=ec.generate_private_key(ec.SECP256R1()))
    reply = _sign(litigant, draft["id"], manifest, signer=forged, expect=422)
    assert reply["error"]["code"] == "signature_invalid"
    other = make_litigant()
    theirs = _sign(
        litigant, draft["id"], manifest, device_id=other.device_id, signer=other, expect=404
    )
    assert theirs["error"]["code"] == "not_found"
    litigant.call("POST", f"/devices/{litigant.device_id}/revoke", {"reason": "lost"})
    revoked = _sign(litigant, draft["id"], manifest, expect=422)
    assert revoked["error"]["code"] == "certificate_not_usable"


def test_an_expired_certificate_is_refused(make_litigant, inbox) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC), tick=False) as t:
        litigant, filing, draft = _filed(make_litigant)
        filing.upload_page(draft["id"], document_photo())
        t.shift(dt.timedelta(days=366))
        litigant.ask_for_code(litigant.phone)
        litigant.sign_in(litigant.phone, inbox.latest(litigant.phone))
        litigant.call("POST", f"/submissions/{draft['id']}/challenge")
        manifest = filing.manifest(draft["id"], at="2027-11-29T09:00:00Z")
        reply = _sign(litigant, draft["id"], manifest, expect=422)
    assert reply["error"]["code"] == "certificate_not_usable"


def test_an_enforcement_application_must_name_what_it_enforces(
    make_litigant, session: Session
) -> None:
    litigant = make_litigant()
    reply = litigant.call(
        "POST", "/submissions", {"kind": "enforcement", "details": {}}, expect=422
    )
    assert reply["error"]["code"] == "enforced_document_required"
    ok = Filing(litigant).open(
        "enforcement",
        details={
            "enforced_document": {
                "type": "judgment",
                "number": "(2025)浙0203民初45号",
                "effective_date": "2026-01-10",
            }
        },
    )
    assert ok["details"]["enforced_document"]["type"] == "judgment"
    assert session.exec(select(func.count()).select_from(Submission)).one() == 1


def test_a_withdrawal_must_name_a_case_of_the_filer(make_litigant) -> None:
    litigant = make_litigant()
    missing = litigant.call("POST", "/submissions", {"kind": "withdrawal"}, expect=422)
    assert missing["error"]["code"] == "case_required"
    unknown = litigant.call(
        "POST", "/submissions", {"kind": "withdrawal", "case_id": "nope"}, expect=404
    )
    assert unknown["error"]["code"] == "submission_not_found"


def test_a_retry_with_the_same_idempotency_key_opens_one_submission(
    make_litigant, session: Session
) -> None:
    litigant = make_litigant()
    body = {"kind": "complaint", "details": COMPLAINT}
    first = litigant.call("POST", "/submissions", body, idempotency_key="open-1")
    second = litigant.call("POST", "/submissions", body, idempotency_key="open-1")
    assert first["id"] == second["id"]
    assert session.exec(select(func.count()).select_from(Submission)).one() == 1


def test_signing_needs_pages_and_finished_uploads(make_litigant) -> None:
    litigant, filing, draft = _filed(make_litigant)
    empty = filing.manifest(draft["id"])
    reply = _sign(litigant, draft["id"], empty, expect=409)
    assert reply["error"]["code"] == "pages_incomplete"


def test_another_persons_submission_is_invisible(make_litigant) -> None:
    _, _, draft = _filed(make_litigant)
    stranger = make_litigant()
    assert stranger.call("GET", f"/submissions/{draft['id']}", expect=404)
    assert stranger.call("GET", "/submissions")["items"] == []


def test_unknown_detail_fields_are_refused(make_litigant, session: Session) -> None:
    litigant = make_litigant()
    reply = litigant.call(
        "POST", "/submissions", {"kind": "complaint", "details": {"claimz": ["x"]}}, expect=422
    )
    assert reply["error"]["code"] == "validation_failed"
    assert session.exec(select(func.count()).select_from(Submission)).one() == 0


def test_prune_drops_abandoned_uploads_and_their_part_files(make_litigant, app: Flask) -> None:
    _, filing, draft = _filed(make_litigant)
    photo = document_photo()
    with time_machine.travel(dt.datetime.now(dt.UTC) - dt.timedelta(days=8), tick=False):
        location = filing.start_page(draft["id"], photo)
        filing.send_bytes(location, photo[:1000], 0)
    fresh = filing.start_page(draft["id"], photo)
    assert len(_part_files(app)) == 2
    result = app.test_cli_runner().invoke(args=["court", "prune"])
    assert result.exit_code == 0, result.output
    assert "dropped 1 unfinished page uploads" in result.output
    assert len(_part_files(app)) == 1
    assert filing.offset(fresh) == 0


def test_a_crash_while_a_page_completes_leaves_the_upload_resumable(
    make_litigant, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the crash harness: the finished part file was moved into the blob store
    before the commit, so a crash in between left an upload whose bytes were gone, and the
    resumed upload was padded with zeros (hash mismatch). Now the part file is copied and
    removed only after the commit; and missing bytes restart the upload instead."""
    from court.filing import uploads

    litigant, filing, draft = _filed(make_litigant)
    photo = document_photo()
    location = filing.start_page(draft["id"], photo)
    filing.send_bytes(location, photo[:100_000], 0)

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the server died here")

    monkeypatch.setattr(uploads, "record_audit", crash)  # after the blob copy, before commit
    app.config["PROPAGATE_EXCEPTIONS"] = False
    failed = filing.send_bytes(location, photo[100_000:], 100_000)
    assert failed.status == 500
    monkeypatch.undo()
    # Rolled back: the offset is where it was and its bytes are still there to resume.
    assert filing.offset(location) == 100_000
    done = filing.send_bytes(location, photo[100_000:], 100_000)
    assert done.status == 204
    pages = litigant.call("GET", f"/submissions/{draft['id']}")["pages"]
    assert pages[0]["original_size"] == len(photo)
    assert _part_files(app) == []


def test_an_upload_whose_bytes_were_lost_restarts_from_zero(make_litigant, app: Flask) -> None:
    litigant, filing, draft = _filed(make_litigant)
    photo = document_photo()
    location = filing.start_page(draft["id"], photo)
    filing.send_bytes(location, photo[:100_000], 0)
    for part in _part_files(app):
        part.unlink()
    lost = filing.send_bytes(location, photo[100_000:], 100_000)
    assert lost.status == 409
    assert lost.body["error"]["code"] == "upload_restarted"
    assert filing.offset(location) == 0
    assert filing.send_bytes(location, photo, 0).status == 204
    pages = litigant.call("GET", f"/submissions/{draft['id']}")["pages"]
    assert pages[0]["original_size"] == len(photo)


def test_prune_sweeps_part_files_a_crash_left_after_a_page_was_committed(
    make_litigant, app: Flask
) -> None:
    _, filing, draft = _filed(make_litigant)
    photo = document_photo()
    location = filing.start_page(draft["id"], photo)
    assert filing.send_bytes(location, photo, 0).status == 204
    folder = app.extensions["court.settings"].instance_path / "uploads"
    leftover = folder / f"{location.rsplit('/', 1)[-1]}.part"
    leftover.write_bytes(photo)  # as if the process died between the commit and the unlink
    unrelated = folder / "someone-elses-unfinished.part"
    unrelated.write_bytes(b"in progress")
    result = app.test_cli_runner().invoke(args=["court", "prune"])
    assert result.exit_code == 0, result.output
    assert not leftover.exists()
    assert unrelated.exists()  # not a finished upload's: left alone
