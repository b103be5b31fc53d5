"""Verifying court PDFs: genuine documents pass at every stage, each attack is named.

Every attack starts from a genuine document (``tests.documents.pdfs``): WeasyPrint notice,
party signatures from event-CA device certificates with court time stamps, the court seal.
poppler's ``pdfsig`` is the independent second opinion on the genuine ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from documents.verify import ExpectedSigner, RegistryEvidence, VerificationReport, verify_pdf
from signing.evidence.merkle import inclusion_proof, leaf_hash, root_from_leaf_hashes
from signing.evidence.note import Checkpoint, sign_checkpoint, verifier_key
from signing.evidence.receipt import Receipt
from signing.pki import RevokedCertificate
from tests.documents import pdfs

PROJECT = Path(__file__).resolve().parents[2]
PARTY_A = ExpectedSigner("原告", "PartyA")
PARTY_B = ExpectedSigner("被告", "PartyB")
SEAL = ExpectedSigner("法院", "CourtSeal")
ALL_SIGNERS = (PARTY_A, PARTY_B, SEAL)
LOG_NAME = "court.example/evidence"
LOG_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"test log key").digest())


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> pdfs.CourtDocuments:
    """The genuine notice at every stage, built once for the module."""
    return pdfs.build_documents(tmp_path_factory.mktemp("court"))


def verify(
    docs: pdfs.CourtDocuments, data: bytes, *expected: ExpectedSigner, **kwargs: object
) -> VerificationReport:
    kwargs.setdefault("crls", docs.crls)
    return verify_pdf(data, trust_roots=[docs.root], expected_signers=expected, **kwargs)


def assert_failed(report: VerificationReport, indication: str, sub: str, code: str) -> None:
    assert report.indication == indication, report.reasons
    assert report.sub_indication == sub, report.reasons
    assert any(code in reason.code for reason in report.reasons), report.reasons
    assert not report.passed


def pdfsig(data: bytes, tmp_path: Path) -> str:
    """Return poppler's report; it exits 0 whatever it finds, so the text is the verdict."""
    assert shutil.which("pdfsig"), "poppler-utils (pdfsig) is required"
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    run = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    return run.stdout


def eof_ends(data: bytes) -> list[int]:
    """Offsets just past each ``%%EOF`` line: where each revision ends."""
    return [m.end() for m in re.finditer(rb"%%EOF\r?\n?", data)]


# --- Genuine documents ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("one_party", (PARTY_A,)),
        ("two_parties", (PARTY_A, PARTY_B)),
        ("sealed", ALL_SIGNERS),
    ],
)
def test_a_genuine_document_passes_at_every_stage(
    docs: pdfs.CourtDocuments, stage: str, expected: tuple[ExpectedSigner, ...], tmp_path: Path
) -> None:
    data: bytes = getattr(docs, stage)
    report = verify(docs, data, *expected)

    assert report.indication == "TOTAL-PASSED", report.reasons
    assert report.sub_indication is None
    assert report.passed
    assert [s.field_name for s in report.signatures] == [e.field_name for e in expected]
    assert report.missing_fields == ()
    assert report.uncovered_bytes == 0
    assert report.size == len(data)
    assert report.sha256 == hashlib.sha256(data).hexdigest()
    for signature in report.signatures:
        assert signature.indication == "TOTAL-PASSED"
        assert signature.chain is not None
        assert signature.chain.trusted
        assert signature.revocation == "good"
        assert signature.timestamp is not None
        assert signature.timestamp.intact
        assert signature.timestamp.trusted
        assert signature.claimed_signing_time is not None
        assert signature.claimed_signing_time <= signature.timestamp.time + dt.timedelta(seconds=1)
    # The last signature covers the whole file until the seal's validation data follows it.
    assert report.signatures[-1].coverage == (
        "followed_by_allowed_changes" if stage == "sealed" else "entire_file"
    )
    assert all(s.coverage == "followed_by_allowed_changes" for s in report.signatures[:-1])
    # poppler agrees, independently, that every signature's digest and value are right.
    assert pdfsig(data, tmp_path).count("Signature is Valid.") == len(expected)


def test_the_report_names_signers_roles_and_levels(docs: pdfs.CourtDocuments) -> None:
    report = verify(docs, docs.sealed, *ALL_SIGNERS)

    alice, bob, seal = report.signatures
    assert (alice.signer_name, alice.role) == ("张三", "原告")
    assert (bob.signer_name, bob.role) == ("李四", "被告")
    assert seal.signer_name == f"{pdfs.COURT} 电子印章"
    assert alice.certificate_serial == format(docs.alice.certificate.serial_number, "x")
    assert alice.stated_reason == "当事人签名"
    assert alice.chain is not None
    assert alice.chain.path == ("张三", "诉讼参与人事件证书 CA", f"{pdfs.COURT} 根证书")
    # The seal added a DSS with the CRLs for every chain: all three reach B-LT.
    assert [s.pades_level for s in report.signatures] == ["B-LT", "B-LT", "B-LT"]
    assert report.revisions == 5  # notice, Alice, Bob, seal, DSS
    assert json.loads(json.dumps(report.to_json()))["indication"] == "TOTAL-PASSED"


def test_before_the_seal_a_time_stamped_signature_is_b_t(docs: pdfs.CourtDocuments) -> None:
    report = verify(docs, docs.two_parties, PARTY_A, PARTY_B)

    assert [s.pades_level for s in report.signatures] == ["B-T", "B-T"]


def test_the_seals_embedded_validation_data_suffices_without_crls(
    docs: pdfs.CourtDocuments,
) -> None:
    assert verify(docs, docs.sealed, *ALL_SIGNERS, crls=()).passed


def test_without_revocation_data_a_signature_is_indeterminate_try_later(
    docs: pdfs.CourtDocuments,
) -> None:
    report = verify(docs, docs.two_parties, PARTY_A, PARTY_B, crls=())

    assert_failed(report, "INDETERMINATE", "TRY_LATER", "untrusted_certificate")
    assert {s.revocation for s in report.signatures} == {"unknown"}


def test_a_document_time_stamp_makes_the_seal_b_lta(docs: pdfs.CourtDocuments) -> None:
    key = pdfs.sealing_key(docs.pki)
    from documents.sealing import seal_pdf

    archived = seal_pdf(docs.two_parties, key, docs.timestamper, archive_timestamp=True)
    report = verify(docs, archived, *ALL_SIGNERS)

    assert report.passed, report.reasons
    assert len(report.timestamps) == 1
    stamp = report.timestamps[0]
    assert stamp.indication == "TOTAL-PASSED"
    assert stamp.timestamp is not None
    assert stamp.timestamp.trusted
    assert report.signatures[-1].pades_level == "B-LTA"
    assert [s.field_name for s in report.signatures] == ["PartyA", "PartyB", "CourtSeal"]


# --- Attacks on the bytes ----------------------------------------------------------------


def test_a_byte_changed_inside_a_signed_range_is_a_hash_failure(
    docs: pdfs.CourtDocuments, tmp_path: Path
) -> None:
    data = bytearray(docs.sealed)
    # A byte inside the first revision's font stream: every signature covers it.
    position = data.index(b"stream", data.index(b"9 0 obj")) + 200
    data[position] ^= 0x01
    report = verify(docs, bytes(data), *ALL_SIGNERS)

    assert_failed(report, "TOTAL-FAILED", "HASH_FAILURE", "digest_mismatch")
    assert {s.sub_indication for s in report.signatures} == {"HASH_FAILURE"}
    assert "Signature is Valid." not in pdfsig(bytes(data), tmp_path)


def test_bytes_appended_after_the_last_eof_are_not_covered(
    docs: pdfs.CourtDocuments, tmp_path: Path
) -> None:
    data = docs.sealed + "% 本文书已撤销 (revoked)\n".encode()
    report = verify(docs, data, *ALL_SIGNERS)

    assert_failed(report, "TOTAL-FAILED", "FORMAT_FAILURE", "uncovered_bytes")
    assert report.uncovered_bytes == len(data) - len(docs.sealed)
    # Each signature on its own still verifies: only the file-level check sees it.
    assert all(s.indication == "TOTAL-PASSED" for s in report.signatures)
    assert pdfsig(data, tmp_path).count("Signature is Valid.") == 3


def test_a_missing_contents_entry_is_a_format_failure(docs: pdfs.CourtDocuments) -> None:
    # The seal's dictionary is the last one with a /Contents entry; rename the key.
    position = docs.sealed.rindex(b"/Contents <")
    data = docs.sealed[:position] + b"/Contentz <" + docs.sealed[position + 11 :]
    report = verify(docs, data, *ALL_SIGNERS)

    assert report.indication == "TOTAL-FAILED"
    assert report.sub_indication == "FORMAT_FAILURE"
    assert not report.passed
    seal = next(s for s in report.signatures if s.field_name == "CourtSeal")
    assert (seal.indication, seal.sub_indication) == ("TOTAL-FAILED", "FORMAT_FAILURE")
    assert seal.reasons[0].code == "malformed_signature"


def test_a_moved_contents_gap_is_a_format_failure(docs: pdfs.CourtDocuments) -> None:
    # Shift the seal's /ByteRange so the gap it leaves is no longer the /Contents string.
    data = docs.sealed
    match = list(re.finditer(rb"/ByteRange \[0 (\d+) (\d+) (\d+)", data))[-1]
    first, second = int(match[1]), int(match[2])
    moved = f"/ByteRange [0 {first - 10} {second - 10} {match[3].decode()}".encode()
    moved = moved.ljust(len(match[0]))[: len(match[0])]
    data = data[: match.start()] + moved + data[match.end() :]
    report = verify(docs, data, *ALL_SIGNERS)

    assert report.indication == "TOTAL-FAILED"
    seal = next(s for s in report.signatures if s.field_name == "CourtSeal")
    assert seal.indication == "TOTAL-FAILED"
    # Format checking (§5.2.2) comes before the digest (§5.2.7), which fails as well.
    assert seal.sub_indication == "FORMAT_FAILURE"
    assert [r.code for r in seal.reasons] == ["byte_range", "digest_mismatch"]
    assert not report.passed


def test_a_signature_with_an_unknown_subfilter_is_reported_not_skipped(
    docs: pdfs.CourtDocuments,
) -> None:
    # pyHanko's own listing would silently drop such a signature.
    position = docs.two_parties.rindex(b"/ETSI.CAdES.detached")
    data = bytearray(docs.two_parties)
    data[position : position + 20] = b"/ETSI.CAdES.detachex"
    report = verify(docs, bytes(data), PARTY_A, PARTY_B)

    assert [s.field_name for s in report.signatures] == ["PartyA", "PartyB"]
    bob = report.signatures[1]
    assert (bob.indication, bob.sub_indication) == ("TOTAL-FAILED", "FORMAT_FAILURE")
    assert "unsupported /SubFilter" in bob.reasons[0].detail
    assert report.indication == "TOTAL-FAILED"


def test_a_malformed_file_is_a_format_failure_not_an_exception(
    docs: pdfs.CourtDocuments,
) -> None:
    for data in (b"", b"not a pdf at all", docs.sealed[: len(docs.sealed) // 2]):
        report = verify(docs, data, *ALL_SIGNERS)
        assert_failed(report, "TOTAL-FAILED", "FORMAT_FAILURE", "malformed_pdf")
        assert report.signatures == ()


# --- Attacks by incremental update after signing -------------------------------------------


def _update_first_page(data: bytes, change: str) -> bytes:
    """Append an incremental update to page 1, as an editor would after signing."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    if change == "annotation":
        note = generic.DictionaryObject(
            {
                generic.pdf_name("/Type"): generic.pdf_name("/Annot"),
                generic.pdf_name("/Subtype"): generic.pdf_name("/FreeText"),
                generic.pdf_name("/Rect"): generic.ArrayObject(
                    [generic.FloatObject(v) for v in (60, 600, 500, 660)]
                ),
                generic.pdf_name("/Contents"): generic.TextStringObject("不予受理"),
                generic.pdf_name("/DA"): generic.pdf_string("/Helv 24 Tf 0 g"),
            }
        )
        annots = page.get("/Annots", generic.ArrayObject())  # the signature widgets
        page[generic.pdf_name("/Annots")] = generic.ArrayObject([*annots, writer.add_object(note)])
    else:
        drawing = (
            b"q 1 1 1 rg 0 0 600 850 re f Q"  # white-out over the whole text
            if change == "white_out"
            else b"BT /F1 24 Tf 72 700 Td (REPLACED) Tj ET"
        )
        stream = writer.add_object(generic.StreamObject(stream_data=drawing))
        if change == "white_out":
            old = page["/Contents"]
            parts = (
                list(old) if isinstance(old, generic.ArrayObject) else [page.raw_get("/Contents")]
            )
            page[generic.pdf_name("/Contents")] = generic.ArrayObject([*parts, stream])
        else:
            page[generic.pdf_name("/Contents")] = stream
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("change", ["replace", "white_out", "annotation"])
def test_a_page_changed_after_the_last_signature_is_a_disallowed_change(
    docs: pdfs.CourtDocuments, change: str, tmp_path: Path
) -> None:
    data = _update_first_page(docs.sealed, change)
    report = verify(docs, data, *ALL_SIGNERS)

    assert_failed(report, "TOTAL-FAILED", "FORMAT_FAILURE", "modified_after_signing")
    for signature in report.signatures:
        assert signature.coverage == "followed_by_disallowed_changes"
        # pyHanko 0.38 has no rule admitting markup annotations, so a FreeText is OTHER too.
        assert signature.modification_level in {"ANNOTATIONS", "OTHER"}
        assert signature.indication == "TOTAL-FAILED"
    # poppler still calls each signature valid; only the difference analysis catches it.
    output = pdfsig(data, tmp_path)
    assert output.count("Signature is Valid.") == 3
    assert "Not total document signed" in output


def test_a_page_changed_between_party_signatures_fails_the_earlier_one(
    docs: pdfs.CourtDocuments,
) -> None:
    tampered = _update_first_page(docs.one_party, "annotation")
    data = pdfs.sign_as_party(tampered, docs.bob, "PartyB", docs.timestamper)
    report = verify(docs, data, PARTY_A, PARTY_B)

    alice, bob = report.signatures
    assert alice.coverage == "followed_by_disallowed_changes"
    assert alice.indication == "TOTAL-FAILED"
    # Bob signed what he saw, annotation included.
    assert bob.indication == "TOTAL-PASSED"
    assert report.indication == "TOTAL-FAILED"


# --- Attacks on who signed -----------------------------------------------------------------


def test_a_signer_outside_the_court_root_has_no_chain(docs: pdfs.CourtDocuments) -> None:
    rogue = pdfs.rogue_party("李四")
    data = pdfs.sign_as_party(docs.one_party, rogue, "PartyB", docs.timestamper)
    report = verify(docs, data, PARTY_A, PARTY_B)

    assert_failed(report, "INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND", "untrusted_certificate")
    alice, bob = report.signatures
    assert alice.indication == "TOTAL-PASSED"
    assert bob.chain is not None
    assert not bob.chain.trusted
    assert bob.pades_level == "B-T"  # cryptographically sound, time-stamped, untrusted


def test_a_certificate_used_after_its_revocation_is_revoked(docs: pdfs.CourtDocuments) -> None:
    carol = pdfs.enrol_party(docs.pki, "王五", "acct-carol")
    data = pdfs.sign_as_party(docs.one_party, carol, "PartyB", docs.timestamper)
    signed_at = verify(docs, data).signatures[-1].claimed_signing_time
    assert signed_at is not None
    revoked = RevokedCertificate(
        carol.certificate.serial_number, signed_at - dt.timedelta(seconds=5)
    )
    report = verify(docs, data, PARTY_A, PARTY_B, crls=pdfs.court_crls(docs.pki, [revoked]))

    assert_failed(report, "TOTAL-FAILED", "REVOKED", "revoked")
    bob = report.signatures[-1]
    assert bob.revocation == "revoked"
    assert bob.revoked_at == revoked.revoked_at.replace(microsecond=0)


def test_a_certificate_revoked_after_the_time_stamp_still_passes(
    docs: pdfs.CourtDocuments,
) -> None:
    carol = pdfs.enrol_party(docs.pki, "王五", "acct-carol")
    data = pdfs.sign_as_party(docs.one_party, carol, "PartyB", docs.timestamper)
    stamp = verify(docs, data).signatures[-1].timestamp
    assert stamp is not None
    assert stamp.time is not None
    revoked_at = stamp.time + dt.timedelta(minutes=1)
    later = stamp.time + dt.timedelta(minutes=2)
    revoked = RevokedCertificate(carol.certificate.serial_number, revoked_at)
    crls = pdfs.court_crls(docs.pki, [revoked], now=later)
    report = verify(docs, data, PARTY_A, PARTY_B, crls=crls, now=later + dt.timedelta(seconds=1))

    assert report.passed, report.reasons
    bob = report.signatures[-1]
    assert bob.revocation == "good"  # at signing time, as the time stamp proves
    assert bob.revoked_at == revoked_at


def test_the_courts_newer_crl_overrides_the_seals_embedded_one(
    docs: pdfs.CourtDocuments,
) -> None:
    carol = pdfs.enrol_party(docs.pki, "王五", "acct-carol")
    signed = pdfs.sign_as_party(docs.one_party, carol, "PartyB", docs.timestamper)
    sealed = pdfs.seal(signed, docs.pki, docs.timestamper)
    assert verify(docs, sealed, PARTY_A, PARTY_B, SEAL, crls=()).passed
    signed_at = verify(docs, signed).signatures[-1].claimed_signing_time
    assert signed_at is not None
    # The revocation is recorded after sealing but dated before Carol signed.
    revoked = RevokedCertificate(
        carol.certificate.serial_number, signed_at - dt.timedelta(seconds=5)
    )
    crls = pdfs.court_crls(docs.pki, [revoked])
    report = verify(docs, sealed, PARTY_A, PARTY_B, SEAL, crls=crls)

    assert_failed(report, "TOTAL-FAILED", "REVOKED", "revoked")
    assert [s.indication for s in report.signatures] == [
        "TOTAL-PASSED",
        "TOTAL-FAILED",
        "TOTAL-PASSED",
    ]


def test_a_missing_expected_signer_is_incomplete_never_passed(
    docs: pdfs.CourtDocuments,
) -> None:
    report = verify(docs, docs.one_party, *ALL_SIGNERS)

    assert_failed(report, "INDETERMINATE", "SIGNED_DATA_NOT_FOUND", "incomplete")
    assert report.missing_fields == ("PartyB", "CourtSeal")
    assert "incomplete: missing PartyB (被告)" in [str(r) for r in report.reasons]
    assert report.signatures[0].indication == "TOTAL-PASSED"


def test_one_person_signing_every_party_field_does_not_pass(
    docs: pdfs.CourtDocuments, tmp_path: Path
) -> None:
    """Alice fills Bob's field too, with her own valid certificate: each signature is valid
    (pdfsig says so) and no expected signer is missing, but one person signed twice."""
    forged = pdfs.sign_as_party(docs.one_party, docs.alice, "PartyB", docs.timestamper)
    assert pdfsig(forged, tmp_path).count("Signature is Valid.") == 2

    report = verify(docs, forged, PARTY_A, PARTY_B)

    assert_failed(report, "TOTAL-FAILED", "SIG_CONSTRAINTS_FAILURE", "one_signer_in_two_places")
    assert report.missing_fields == ()
    assert "张三 signed 2 fields (PartyA, PartyB)" in report.reasons[0].detail
    # The genuine two-party document, each signing once, passes.
    assert verify(docs, docs.two_parties, PARTY_A, PARTY_B).passed


def test_an_unsigned_document_does_not_pass(docs: pdfs.CourtDocuments) -> None:
    report = verify(docs, docs.unsigned)

    assert_failed(report, "INDETERMINATE", "SIGNED_DATA_NOT_FOUND", "unsigned")


# --- Is it the document the court issued? ---------------------------------------------------


def registry_for(issued: bytes, *, tamper_proof: bool = False) -> RegistryEvidence:
    """Log the issued hash as leaf 5 of a small log; return the registry's evidence."""
    digest = hashlib.sha256(issued).hexdigest()
    records = [json.dumps({"event": "other", "n": i}).encode() for i in range(9)]
    records[5] = json.dumps({"event": "document.sealed", "pdf_sha256": digest}).encode()
    hashes = [leaf_hash(record) for record in records]
    note = sign_checkpoint(
        Checkpoint(LOG_NAME, 9, root_from_leaf_hashes(hashes)), LOG_NAME, LOG_KEY
    )
    proof = inclusion_proof(hashes, 5)
    if tamper_proof:
        proof[0] = hashlib.sha256(b"not the sibling").digest()
    return RegistryEvidence(
        issued_sha256=digest,
        checkpoint=note,
        log_key=verifier_key(LOG_NAME, LOG_KEY.public_key()),
        record=records[5],
        leaf_index=5,
        inclusion_proof=tuple(proof),
    )


def test_the_issued_document_matches_the_registry_with_a_valid_log_proof(
    docs: pdfs.CourtDocuments,
) -> None:
    report = verify(docs, docs.sealed, *ALL_SIGNERS, registry=registry_for(docs.sealed))

    assert report.passed, report.reasons
    assert report.registry_match is True
    assert report.log_proof_ok is True


def test_a_wrong_log_proof_fails(docs: pdfs.CourtDocuments) -> None:
    registry = registry_for(docs.sealed, tamper_proof=True)
    report = verify(docs, docs.sealed, *ALL_SIGNERS, registry=registry)

    assert_failed(report, "INDETERMINATE", "GENERIC", "log_proof_invalid")
    assert report.registry_match is True
    assert report.log_proof_ok is False


def test_a_log_record_for_another_document_fails(docs: pdfs.CourtDocuments) -> None:
    # A genuine proof, but of a record about the two-party draft, not the sealed notice.
    proof_of_other = registry_for(docs.two_parties)
    registry = RegistryEvidence(
        issued_sha256=hashlib.sha256(docs.sealed).hexdigest(),
        checkpoint=proof_of_other.checkpoint,
        log_key=proof_of_other.log_key,
        record=proof_of_other.record,
        leaf_index=proof_of_other.leaf_index,
        inclusion_proof=proof_of_other.inclusion_proof,
    )
    report = verify(docs, docs.sealed, *ALL_SIGNERS, registry=registry)

    assert report.log_proof_ok is False
    assert any("does not name the issued hash" in r.detail for r in report.reasons)
    assert not report.passed


def test_a_file_cut_back_to_an_earlier_revision_is_not_the_issued_document(
    docs: pdfs.CourtDocuments, tmp_path: Path
) -> None:
    # The bytes up to the first %%EOF after Alice's signature: a valid, signed PDF.
    first_signature = docs.sealed.index(b"/ByteRange")
    cut = next(end for end in eof_ends(docs.sealed) if end > first_signature)
    data = docs.sealed[:cut]
    report = verify(docs, data, *ALL_SIGNERS, registry=registry_for(docs.sealed))

    assert report.registry_match is False
    assert report.revisions == 2
    assert report.size == cut
    assert_failed(report, "TOTAL-FAILED", "HASH_FAILURE", "not_issued")
    assert f"2 revisions, {cut} bytes" in str(report.reasons[-1])
    # Alone, the cut-back file is a perfectly valid one-signature document.
    assert verify(docs, data, PARTY_A).passed
    assert pdfsig(data, tmp_path).count("Signature is Valid.") == 1


# --- The command line -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_files(docs: pdfs.CourtDocuments, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    (folder / "root.pem").write_bytes(docs.root.public_bytes(serialization.Encoding.PEM))
    for index, crl in enumerate(docs.crls):
        (folder / f"crl{index}.der").write_bytes(crl)
    (folder / "genuine.pdf").write_bytes(docs.sealed)
    tampered = bytearray(docs.sealed)
    tampered[tampered.index(b"stream", tampered.index(b"9 0 obj")) + 200] ^= 0x01
    (folder / "tampered.pdf").write_bytes(bytes(tampered))
    registry = registry_for(docs.sealed)
    assert registry.record is not None
    assert registry.checkpoint is not None
    receipt = Receipt(
        record=registry.record,
        leaf_index=5,
        checkpoint=registry.checkpoint,
        inclusion_proof=registry.inclusion_proof,
    )
    (folder / "receipt.json").write_text(json.dumps(receipt.to_json()))
    (folder / "log.vkey").write_text(verifier_key(LOG_NAME, LOG_KEY.public_key()))
    return folder


def run_cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    common = ["--trust", str(folder / "root.pem")]
    for crl in sorted(folder.glob("crl*.der")):
        common += ["--crl", str(crl)]
    return subprocess.run(
        [sys.executable, "-m", "documents.verify", *args, *common],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT,
        timeout=120,
    )


def test_the_command_line_passes_the_genuine_document_with_its_receipt(
    docs: pdfs.CourtDocuments, cli_files: Path
) -> None:
    run = run_cli(
        cli_files,
        str(cli_files / "genuine.pdf"),
        "--expect", "原告=PartyA", "--expect", "被告=PartyB", "--expect", "法院=CourtSeal",
        "--issued-sha256", hashlib.sha256(docs.sealed).hexdigest(),
        "--log-key", str(cli_files / "log.vkey"),
        "--receipt", str(cli_files / "receipt.json"),
    )  # fmt: skip

    assert run.returncode == 0, run.stdout + run.stderr
    assert "验证结论 (Result): TOTAL-PASSED" in run.stdout
    assert "存证日志证明 (Log proof): 有效 (valid)" in run.stdout
    assert "张三" in run.stdout


def test_the_command_line_checks_who_signed_each_field_when_told(cli_files: Path) -> None:
    """Offline, with only the file: ``--expect ROLE=FIELD=NAME`` says whose certificate must
    have signed the field (张三 signed PartyA, 李四 PartyB)."""
    right = run_cli(
        cli_files, str(cli_files / "genuine.pdf"),
        "--expect", "原告=PartyA=张三", "--expect", "被告=PartyB=李四",
    )  # fmt: skip
    swapped = run_cli(
        cli_files, str(cli_files / "genuine.pdf"),
        "--expect", "原告=PartyA=李四", "--expect", "被告=PartyB=张三",
    )  # fmt: skip
    empty_name = run_cli(cli_files, str(cli_files / "genuine.pdf"), "--expect", "原告=PartyA=")

    assert right.returncode == 0, right.stdout + right.stderr
    assert swapped.returncode == 1
    assert "TOTAL-FAILED / SIG_CONSTRAINTS_FAILURE" in swapped.stdout
    assert "PartyA (原告) was signed by 张三, not 李四" in swapped.stdout
    assert empty_name.returncode == 2


def test_the_command_line_fails_a_tampered_document(cli_files: Path) -> None:
    run = run_cli(cli_files, str(cli_files / "tampered.pdf"))

    assert run.returncode == 1
    assert "TOTAL-FAILED / HASH_FAILURE" in run.stdout


def test_the_command_line_refuses_bad_usage(cli_files: Path) -> None:
    missing = run_cli(cli_files, str(cli_files / "no-such.pdf"))
    lone_receipt = run_cli(
        cli_files, str(cli_files / "genuine.pdf"), "--receipt", str(cli_files / "receipt.json")
    )

    bad_hash = run_cli(cli_files, str(cli_files / "genuine.pdf"), "--issued-sha256", "abc")

    assert missing.returncode == 2
    assert lone_receipt.returncode == 2
    assert bad_hash.returncode == 2
    assert "usage error" in lone_receipt.stderr
