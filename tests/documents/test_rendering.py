"""Court documents as PDF: Chinese text in an embedded font, signature boxes where the layout
put them, a verification QR code, and a renderer that fetches nothing it should not and
gives up on documents that take too long.

PDFs are read back with poppler (pdftotext, pdffonts, pdfimages), as a reader's tools would.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import itertools
import pickle
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import segno
from PIL import Image

from documents.rendering import (
    ASSETS,
    PT_PER_PX,
    FieldBox,
    RenderedDocument,
    RenderError,
    RenderRefused,
    RenderTimeout,
    _html_to_document,
    check_url,
    render_document,
    render_pdf,
)
from documents.seal_image import SEAL_IMAGE, ensure_seal_image
from documents.short_codes import SHORT_CODE_ALPHABET, new_short_code, normalise_short_code

COURT = "宁波市海曙区人民法院"
CASE = "（2026）浙0203民诉前调123号"
WHEN = dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC)
CODE = "AB3H-3RGR-RTTK"
VERIFY = {"verify_url": f"https://court.example/verify/{CODE}", "short_code": CODE}
A4 = (595.28, 841.89)  # points
MM = 72 / 25.4


def photo_uri(size: tuple[int, int] = (120, 160)) -> str:
    """A small JPEG 'page photo' as a data: URI, the way the filing packet embeds pages."""
    out = io.BytesIO()
    Image.new("RGB", size, (230, 226, 214)).save(out, "JPEG")
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


def agreement_context(**changes: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "court_name": COURT,
        "number": CASE,
        "organisation": "宁波市海曙区人民法院诉前调解中心",
        "mediator": "王立平",
        "case_number": CASE,
        "cause": "民间借贷纠纷",
        "parties": [
            {
                "role": "申请人",
                "name": "张三",
                "description": "男，1985年3月2日出生，汉族，住浙江省宁波市海曙区中山西路88号",
                "agents": [{"name": "陈明", "description": "浙江甬江律师事务所律师"}],
            },
            {
                "role": "被申请人",
                "name": "李四",
                "description": "男，1990年6月1日出生，汉族，住浙江省宁波市鄞州区",
                "agents": [],
            },
        ],
        "dispute": "2025年1月，被申请人向申请人借款人民币五万元，约定2025年12月31日前归还，"
        "到期未还。",
        "terms": [
            "被申请人李四于2026年4月30日前向申请人张三归还借款人民币50000元。",
            "申请人张三放弃其他诉讼请求。",
            "案件受理费减半收取计250元，由被申请人李四负担。",
        ],
        "performance": "被申请人通过银行转账方式支付至申请人指定账户。",
        "default_clause": "被申请人未按期足额履行的，申请人有权就全部未付款项申请强制执行。",
        "signers": [
            {"field": "party-1", "role": "申请人", "name": "张三"},
            {"field": "agent-1", "role": "委托代理人", "name": "陈明"},
            {"field": "party-2", "role": "被申请人", "name": "李四"},
            {"field": "mediator", "role": "调解员", "name": "王立平"},
            {"field": "court-seal", "role": "调解组织", "name": "诉前调解中心"},
        ],
        **VERIFY,
    }
    return {**context, **changes}


def record_context(statements: int = 6, **changes: Any) -> dict[str, Any]:
    said = [
        {"speaker": "调解员", "text": "今天在线组织双方调解，请双方核对身份并陈述意见。"},
        {"speaker": "申请人张三", "text": "借款五万元到期未还，希望对方尽快归还，利息可以放弃。"},
        {"speaker": "被申请人李四", "text": "承认借款，目前资金困难，希望四月底前一次还清。"},
    ]
    context: dict[str, Any] = {
        "court_name": COURT,
        "number": None,
        "case_number": CASE,
        "cause": "民间借贷纠纷",
        "started_at": WHEN,
        "ended_at": WHEN + dt.timedelta(minutes=45),
        "online": True,
        "place": "",
        "mediator": "王立平",
        "recorder": "赵敏",
        "attendees": [{"role": "申请人", "name": "张三"}, {"role": "被申请人", "name": "李四"}],
        "statements": list(itertools.islice(itertools.cycle(said), statements)),
        "signers": [
            {"field": "party-1", "role": "申请人", "name": "张三"},
            {"field": "party-2", "role": "被申请人", "name": "李四"},
            {"field": "mediator", "role": "调解员", "name": "王立平"},
        ],
        **VERIFY,
    }
    return {**context, **changes}


def transcript_context(entries: int = 8, **changes: Any) -> dict[str, Any]:
    said = [
        {"speaker": "审判员", "text": "现在开庭。核对当事人身份，告知诉讼权利义务。"},
        {"speaker": "原告", "text": "请求判令被告支付货款人民币十二万元及逾期付款损失。"},
        {"speaker": "被告", "text": "对货款数额有异议，部分货物存在质量问题，已书面通知原告。"},
        {"speaker": "审判员", "text": "双方对质量问题是否举证？请在庭后三日内提交。"},
    ]
    context: dict[str, Any] = {
        "court_name": COURT,
        "number": None,
        "case_number": "（2026）浙0203民初456号",
        "cause": "买卖合同纠纷",
        "started_at": WHEN,
        "ended_at": None,
        "online": False,
        "place": "第三法庭",
        "judge": "孙正",
        "clerk": "周清",
        "parties": [
            {"role": "原告", "name": "宁波甬达贸易有限公司"},
            {"role": "被告", "name": "钱五"},
        ],
        "transcript": list(itertools.islice(itertools.cycle(said), entries)),
        "signers": [
            {"field": "party-1", "role": "原告", "name": "宁波甬达贸易有限公司"},
            {"field": "party-2", "role": "被告", "name": "钱五"},
            {"field": "judge", "role": "审判员", "name": "孙正"},
            {"field": "clerk", "role": "书记员", "name": "周清"},
        ],
        **VERIFY,
    }
    return {**context, **changes}


def notice_context(**changes: Any) -> dict[str, Any]:
    """One context that satisfies every existing notice template."""
    context: dict[str, Any] = {
        "court_name": COURT,
        "number": "（2026）浙0203民初456号",
        "recipient": "张三",
        "signed_at": WHEN,
        "kind_name": "起诉状",
        "case_number": "（2026）浙0203民初456号",
        "submission_id": "S-2026-000123",
        "title": "张三诉李四民间借贷纠纷",
        "manifest_sha256": "ab" * 32,
        "log_index": 41,
        "items": ["起诉状缺少被告的住所地", "未提交身份证明"],
        "deadline": dt.date(2026, 3, 9),
        "reasons": "起诉不符合法定条件，本院不予受理。",
        "pdf_sha256": "cd" * 32,
        "consent_ground": "立案时填写的电子送达地址",
        "served_at": WHEN,
        "read_at": None,
        "issued_at": WHEN,
        **VERIFY,
    }
    return {**context, **changes}


def packet_context(**changes: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "court_name": COURT,
        "number": None,
        "case_number": None,
        "kind_name": "起诉状",
        "submitter": "张三",
        "signed_at": WHEN,
        "manifest_sha256": "ab" * 32,
        "certificate_subject": "CN=张三",
        "certificate_serial": "7f3a",
        "certificate_not_after": WHEN + dt.timedelta(days=365),
        "log_index": 7,
        "registered_at": WHEN,
        "pages": [
            {
                "position": 1,
                "original_sha256": "ef" * 32,
                "format": "jpeg",
                "width": 120,
                "height": 160,
                "captured_at": WHEN,
                "data_uri": photo_uri(),
            }
        ],
        "handwriting_uri": None,
        **VERIFY,
    }
    return {**context, **changes}


#: template → (context, its title, a phrase of its body)
TEMPLATES: dict[str, tuple[dict[str, Any], str, str]] = {
    "mediation_agreement.html": (
        agreement_context(),
        "调解协议书",
        "自最后一方当事人签名之日起生效",
    ),
    "mediation_record.html": (record_context(), "调解笔录", "利息可以放弃"),
    "hearing_transcript.html": (transcript_context(), "庭审笔录", "部分货物存在质量问题"),
    "acceptance_notice.html": (notice_context(), "受理通知书", "符合法定受理条件"),
    "correction_notice.html": (notice_context(), "补正通知书", "未提交身份证明"),
    "rejection_ruling.html": (notice_context(), "不予受理裁定书", "不予受理"),
    "service_certificate.html": (notice_context(), "电子送达凭证", "尚未查阅"),
    "filing_packet.html": (packet_context(), "立案材料卷", "材料目录"),
}


def poppler(tool: str, pdf: bytes, tmp_path: Path, *args: str) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        [tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def page_text(pdf: bytes, tmp_path: Path, page: int | None = None) -> str:
    """The text of the PDF (or of one 1-based page), without whitespace: CJK has no spaces."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return re.sub(r"\s+", "", poppler("pdftotext", pdf, tmp_path, *pages))


def fonts(pdf: bytes, tmp_path: Path) -> list[tuple[str, str]]:
    """(name, embedded) of each font in the PDF."""
    rows = poppler("pdffonts", pdf, tmp_path).splitlines()[2:]
    return [(row.split()[0], row.split()[-5]) for row in rows]


def images(pdf: bytes, tmp_path: Path) -> list[tuple[int, int, int]]:
    """(page, width, height) of each image in the PDF."""
    rows = poppler("pdfimages", pdf, tmp_path, "-list").splitlines()[2:]
    return [(int(r.split()[0]), int(r.split()[3]), int(r.split()[4])) for r in rows]


def words(pdf: bytes, tmp_path: Path, page: int) -> list[tuple[str, float, float, float, float]]:
    """(text, xMin, yMin, xMax, yMax) of the words on a 1-based page; top-left origin."""
    html = poppler("pdftotext", pdf, tmp_path, "-bbox", "-f", str(page), "-l", str(page))
    found = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
        html,
    )
    return [(t, float(a), float(b), float(c), float(d)) for a, b, c, d, t in found]


# --- Chinese text, embedded font, headers and footers -------------------------------------


@pytest.mark.parametrize("template", TEMPLATES)
def test_each_template_renders_chinese_in_the_embedded_font(template: str, tmp_path: Path) -> None:
    context, title, phrase = TEMPLATES[template]
    document = render_document(template, context)
    text = page_text(document.pdf, tmp_path)
    assert title in text
    assert phrase in text
    assert COURT in text
    used = fonts(document.pdf, tmp_path)
    # Every glyph, header and footer included, comes from the embedded CJK font: no fallback.
    assert used
    assert all("WenQuanYi" in name and embedded == "yes" for name, embedded in used)
    assert document.page_count >= 1


def test_headers_and_footers_are_chinese_on_every_page(tmp_path: Path) -> None:
    document = render_document("hearing_transcript.html", transcript_context(entries=80))
    total = document.page_count
    assert total >= 3
    for page in range(1, total + 1):
        text = page_text(document.pdf, tmp_path, page)
        assert f"第{page}页共{total}页" in text
        assert text.startswith(f"庭审笔录{COURT}")  # the running header: title and court


def test_mediation_agreement_lists_parties_terms_and_clauses(tmp_path: Path) -> None:
    text = page_text(render_pdf("mediation_agreement.html", agreement_context()), tmp_path)
    assert "申请人：张三，男" in text
    assert "委托代理人：陈明，浙江甬江律师事务所律师" in text
    assert "1.被申请人李四于2026年4月30日前" in text
    assert "3.案件受理费减半收取" in text
    assert "履行方式与期限" in text
    assert "违约责任" in text


def test_records_show_time_mode_and_who_said_what(tmp_path: Path) -> None:
    record = page_text(render_pdf("mediation_record.html", record_context()), tmp_path)
    assert "2026年03月02日09:30至2026年03月02日10:15" in record  # China time
    assert "线上调解" in record
    assert "被申请人李四：承认借款" in record
    hearing = page_text(render_pdf("hearing_transcript.html", transcript_context()), tmp_path)
    assert "线下开庭，第三法庭" in hearing
    assert "审判员孙正" in hearing
    assert "书记员周清" in hearing


# --- signature fields from the layout ----------------------------------------------------


def overlap(a: FieldBox, b: FieldBox) -> bool:
    ax1, ay1, ax2, ay2 = a.box
    bx1, by1, bx2, by2 = b.box
    return a.page_index == b.page_index and ax1 < bx2 and bx1 < ax2 and ay1 < by2 and by1 < ay2


@pytest.mark.parametrize(
    ("template", "context"),
    [
        ("mediation_agreement.html", agreement_context()),
        ("mediation_record.html", record_context()),
        ("hearing_transcript.html", transcript_context(entries=70)),
    ],
)
def test_a_field_box_sits_over_each_signers_caption(
    template: str, context: dict[str, Any], tmp_path: Path
) -> None:
    document = render_document(template, context)
    signers = context["signers"]
    assert [f.name for f in document.fields] == [s["field"] for s in signers]
    for field, signer in zip(document.fields, signers, strict=True):
        x1, y1, x2, y2 = field.box
        assert 0 <= field.page_index < document.page_count
        assert 0 < x1 < x2 < A4[0]
        assert 0 < y1 < y2 < A4[1]
        assert x2 - x1 == pytest.approx(60 * MM, abs=0.1)
        assert y2 - y1 == pytest.approx(25 * MM, abs=0.1)
        # The printed "role：name" is on the same page, just under the box: the page index and
        # the flip from CSS pixels to PDF points are right, not merely plausible.
        caption = f"{signer['role']}：{signer['name']}"
        placed = [w for w in words(document.pdf, tmp_path, field.page_index + 1) if w[0] == caption]
        assert len(placed) == 1, caption
        _, cx1, ctop, cx2, _ = placed[0]
        assert x1 <= cx1 < cx2 <= x2
        assert 0 < y1 - (A4[1] - ctop) < 10
    for a, b in itertools.combinations(document.fields, 2):
        assert not overlap(a, b)


def test_signatures_of_a_long_transcript_follow_it_onto_a_later_page(tmp_path: Path) -> None:
    document = render_document("hearing_transcript.html", transcript_context(entries=90))
    assert document.page_count >= 3
    pages = {field.page_index for field in document.fields}
    assert len(pages) == 1
    (page,) = pages
    assert page >= 2
    text = page_text(document.pdf, tmp_path, page + 1)
    assert "审判员：孙正" in text
    assert "书记员：周清" in text


def test_field_boxes_come_back_through_pickling() -> None:
    document = RenderedDocument(b"%PDF", (FieldBox("judge", 0, (1.0, 2.0, 3.0, 4.0)),), 1)
    assert pickle.loads(pickle.dumps(document)) == document  # noqa: S301 - our own bytes
    assert PT_PER_PX == 0.75


@pytest.mark.parametrize(
    ("signers", "reason"),
    [
        ([{"field": "party-1", "role": "申请人", "name": "张三"}] * 2, "duplicate"),
        ([{"field": "party.1", "role": "申请人", "name": "张三"}], "bad signature field name"),
        ([{"field": "Party 1", "role": "申请人", "name": "张三"}], "bad signature field name"),
    ],
)
def test_unusable_signature_field_names_are_refused(signers: list[Any], reason: str) -> None:
    with pytest.raises(RenderError, match=reason):
        render_document("mediation_agreement.html", agreement_context(signers=signers))


def test_a_template_without_the_signers_boxes_fails() -> None:
    signers = [{"field": "judge", "role": "审判员", "name": "孙正"}]
    with pytest.raises(RenderError, match="no signature box for judge"):
        render_document("acceptance_notice.html", notice_context(signers=signers))


# --- verification QR code and short code -------------------------------------------------


def qr_modules(image: Image.Image) -> list[list[bool]]:
    grey = image.convert("L")
    return [[grey.getpixel((x, y)) < 128 for x in range(grey.width)] for y in range(grey.height)]


def segno_modules(url: str) -> list[list[bool]]:
    symbol = segno.make(url, error="m", micro=False)
    return [[bool(v) for v in row] for row in symbol.matrix_iter(scale=1, border=4)]


def test_the_qr_code_in_the_pdf_is_the_verify_url(tmp_path: Path) -> None:
    url = VERIFY["verify_url"]
    pdf = render_pdf("acceptance_notice.html", notice_context())
    assert len(images(pdf, tmp_path)) == 1
    subprocess.run(
        ["pdfimages", "-png", str(tmp_path / "doc.pdf"), str(tmp_path / "img")], check=True
    )
    with Image.open(tmp_path / "img-000.png") as extracted:
        modules = qr_modules(extracted)
    # No QR decoder is installed: compare module for module with the symbol encoding the URL
    # (and check that a neighbouring URL would have drawn something else).
    assert modules == segno_modules(url)
    assert modules != segno_modules(url[:-1] + "M")
    text = page_text(pdf, tmp_path)
    assert "扫码或访问https://court.example/verify输入验证码核验文书真伪" in text
    assert f"验证码：{CODE}" in text


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_carries_the_code_and_omits_it_when_not_given(
    template: str, tmp_path: Path
) -> None:
    context, _, _ = TEMPLATES[template]
    with_code = render_pdf(template, context)
    assert f"验证码：{CODE}" in page_text(with_code, tmp_path)
    bare = {k: v for k, v in context.items() if k not in VERIFY}
    without = render_pdf(template, bare)
    assert "验证码" not in page_text(without, tmp_path)
    assert len(images(with_code, tmp_path)) == len(images(without, tmp_path)) + 1


def test_short_codes_are_grouped_unambiguous_and_unique() -> None:
    codes = {new_short_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert re.fullmatch(r"[^-]{4}-[^-]{4}-[^-]{4}", code)
        assert set(code.replace("-", "")) <= set(SHORT_CODE_ALPHABET)
    assert not set("0O1IL") & set(SHORT_CODE_ALPHABET)
    assert len(set("".join(codes))) == len(SHORT_CODE_ALPHABET) + 1  # every symbol used


@pytest.mark.parametrize(
    "typed",
    [
        "AB3H-3RGR-RTTK",
        "ab3h3rgrrttk",
        " ab3h 3rgr rttk ",
        "AB3H—3RGR—RTTK",
        "ＡＢ３Ｈ－３ＲＧＲ－ＲＴＴＫ",
    ],
)
def test_typed_short_codes_normalise_to_the_printed_form(typed: str) -> None:
    assert normalise_short_code(typed) == CODE


def test_normalising_a_fresh_code_gives_it_back() -> None:
    code = new_short_code()
    assert normalise_short_code(code) == code
    assert normalise_short_code(code.lower().replace("-", " ")) == code


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "AB3H-3RGR-RTT",
        "AB3H-3RGR-RTTKX",
        "AB3H-3RGR-RTT0",
        "AB3H-3RGR-RTTO",
        "AB3H/3RGR/RTTK",
        "A" * 500,
    ],
)
def test_malformed_short_codes_are_refused(typed: str) -> None:
    assert normalise_short_code(typed) is None


# --- the URL fetcher ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.png",
        "https://court.example/logo.png",
        "file://localhost/etc/hostname",
        ASSETS.as_uri() + "/../rendering.py",
        ASSETS.as_uri() + "/missing.png",
        "ftp://127.0.0.1/x.png",
    ],
)
def test_check_url_refuses_everything_outside_the_assets(url: str) -> None:
    with pytest.raises(RenderRefused):
        check_url(url)


@pytest.mark.parametrize(
    "url", ["data:image/png;base64,iVBORw0KGgo=", (ASSETS / "document.css").as_uri()]
)
def test_check_url_allows_data_and_assets(url: str) -> None:
    check_url(url)


def test_markup_in_user_text_is_printed_not_fetched(tmp_path: Path) -> None:
    planted = '<img src="file:///etc/passwd"><img src="http://127.0.0.1:9/x.png">'
    styled = "<style>p { background: url(file:///etc/hostname) }</style>"
    parties = agreement_context()["parties"]
    context = agreement_context(
        parties=[{**parties[0], "name": planted}, parties[1]],
        terms=[styled, "申请人放弃其他诉讼请求。"],
    )
    pdf = render_pdf("mediation_agreement.html", context)
    text = page_text(pdf, tmp_path)
    assert 'src="file:///etc/passwd"' in text
    assert "url(file:///etc/hostname)" in text
    assert len(images(pdf, tmp_path)) == 1  # the QR code only


def svg_uri(body: str, mime: str = "image/svg+xml") -> str:
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">{body}</svg>'
    return f"data:{mime};base64," + base64.b64encode(svg.encode()).decode()


@pytest.mark.parametrize(
    "uri",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.png",
        ASSETS.as_uri() + "/../../court/settings.py",
        # Inside an SVG, where WeasyPrint would swallow the error and draw the rest.
        svg_uri('<image href="file:///etc/passwd" width="40" height="20"/>'),
        # An SVG uploaded as a "PNG": WeasyPrint falls back to parsing it as SVG.
        svg_uri('<image href="http://127.0.0.1:9/x.png"/>', mime="image/png"),
    ],
)
def test_a_url_slot_pointing_outside_fails_the_render(uri: str) -> None:
    with pytest.raises(RenderRefused, match="refused to fetch") as caught:
        render_pdf("filing_packet.html", packet_context(handwriting_uri=uri))
    assert caught.value.code == "render_refused"


@pytest.mark.parametrize(
    "uri",
    [
        "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\nbroken").decode(),
        # WeasyPrint cannot follow @import inside SVG: it drops the image (and fetches nothing).
        svg_uri("<style>@import url(file:///etc/hostname);</style><rect width='4' height='4'/>"),
    ],
)
def test_an_image_that_cannot_be_drawn_fails_the_render(uri: str) -> None:
    # WeasyPrint would log the error and issue the document without the image.
    with pytest.raises(RenderError, match="could not be drawn"):
        render_pdf("filing_packet.html", packet_context(handwriting_uri=uri))


@pytest.mark.parametrize(
    "markup",
    [
        '<img src="file:///etc/passwd">',
        '<img src="http://127.0.0.1:9/x.png">',
        '<p style="background: url(file:///etc/hostname)">x</p>',
        "<style>@import url(file:///etc/hostname);</style>",
        '<link rel="stylesheet" href="file:///etc/hostname">',
        "<style>@font-face { font-family: x; src: url(file:///etc/hostname) }</style>",
        '<a rel="attachment" href="file:///etc/passwd">附件</a>',
    ],
)
def test_markup_that_escaped_the_templates_still_fetches_nothing(markup: str) -> None:
    # Autoescaping keeps user text out of the markup; if markup ever got through (a template
    # bug, a |safe), the fetcher is the second wall. Called here in-process, without a worker.
    with pytest.raises(RenderRefused, match="refused to fetch"):
        _html_to_document(f"<p>中文</p>{markup}", [])


def test_the_fetcher_lets_data_uris_and_assets_through() -> None:
    markup = f'<link rel="stylesheet" href="document.css"><img src="{photo_uri()}">'
    assert _html_to_document(markup, []).pdf.startswith(b"%PDF")


def test_a_page_photo_pointing_outside_fails_the_render() -> None:
    page = {**packet_context()["pages"][0], "data_uri": "file:///etc/passwd"}
    with pytest.raises(RenderRefused, match="/etc/passwd"):
        render_document("filing_packet.html", packet_context(pages=[page]))


def test_data_uri_images_are_drawn(tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.new("RGB", (90, 30), (20, 20, 120)).save(out, "PNG")
    handwriting = "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()
    pdf = render_pdf("filing_packet.html", packet_context(handwriting_uri=handwriting))
    sizes = {(w, h) for _, w, h in images(pdf, tmp_path)}
    assert {(90, 30), (120, 160), (41, 41)} <= sizes  # handwriting, page photo, QR


# --- time limit --------------------------------------------------------------------------


def test_a_document_that_takes_too_long_is_stopped_and_the_next_one_renders() -> None:
    huge = record_context(statements=5000)  # about 300 pages, several seconds of layout
    started = time.monotonic()
    with pytest.raises(RenderTimeout) as caught:
        render_document("mediation_record.html", huge, timeout=1.0)
    assert time.monotonic() - started < 4
    assert caught.value.code == "render_timeout"
    # The killed worker is replaced on the next render.
    assert render_document("mediation_record.html", record_context()).page_count >= 1


def test_a_time_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        render_document("acceptance_notice.html", notice_context(), timeout=0)


def test_render_errors_survive_the_trip_from_the_worker() -> None:
    error = pickle.loads(pickle.dumps(RenderRefused("refused to fetch 'x'")))  # noqa: S301
    assert type(error) is RenderRefused
    assert error.reason == "refused to fetch 'x'"
    assert str(error) == "render_refused: refused to fetch 'x'"


def test_the_worker_shuts_down_quietly_at_exit() -> None:
    script = (
        "import datetime as dt\n"
        "from documents.rendering import render_pdf\n"
        "t = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)\n"
        "pdf = render_pdf('correction_notice.html', {'court_name': '法院', 'number': None,"
        " 'recipient': '张三', 'signed_at': t, 'kind_name': '起诉状', 'submission_id': 's',"
        " 'items': [], 'deadline': t, 'issued_at': t})\n"
        "assert pdf.startswith(b'%PDF')\n"
    )
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no ResourceWarning, no leaked semaphores, no traceback


# --- the seal image ----------------------------------------------------------------------


def test_the_seal_is_a_red_ring_with_a_star_on_transparency(tmp_path: Path) -> None:
    path = ensure_seal_image(COURT, tmp_path / "seal.png")
    with Image.open(path) as seal:
        assert seal.format == "PNG"
        assert seal.mode == "RGBA"
        width, height = seal.size
        assert width == height
        assert seal.getpixel((2, 2))[3] == 0  # corners are transparent
        assert seal.getpixel((width // 2, height // 2)) == (200, 16, 24, 255)  # the star
        assert seal.getpixel((width // 2, round(height * 0.045)))[3] == 255  # the ring


def test_the_seal_is_written_only_when_missing(tmp_path: Path) -> None:
    path = ensure_seal_image(COURT, tmp_path / "seal.png")
    first = path.read_bytes()
    assert ensure_seal_image("另一法院", path).read_bytes() == first
    path.unlink()
    assert ensure_seal_image("另一法院", path).read_bytes() != first


def test_the_shipped_seal_image_is_in_the_assets() -> None:
    assert SEAL_IMAGE.parent == ASSETS
    check_url(SEAL_IMAGE.as_uri())
    with Image.open(SEAL_IMAGE) as seal:
        assert seal.mode == "RGBA"


# --- Compact glyph widths -----------------------------------------------------------------


def _cid_widths(pdf: bytes) -> list[list[Any]]:
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf))
    found = []
    for ref in reader.xrefs.explicit_refs_in_revision(0):
        obj = reader.get_object(ref)
        if isinstance(obj, dict) and obj.get("/Subtype") == "/CIDFontType2":
            found.append(list(obj["/W"]))
    return found


def test_default_width_glyphs_leave_the_font_widths_and_the_pages_look_the_same(
    tmp_path: Path,
) -> None:
    """The /W arrays lose every glyph of the default width 1000 (most CJK glyphs): fewer
    objects for verification to walk. Poppler draws the pages exactly as before."""
    import weasyprint

    from documents.rendering import _fetcher, render_html

    context, _, _ = TEMPLATES["mediation_agreement.html"]
    html = render_html("mediation_agreement.html", context)
    plain = (
        weasyprint.HTML(string=html, base_url=ASSETS.as_uri() + "/", url_fetcher=_fetcher([]))
        .render()
        .write_pdf()
    )
    compact = _html_to_document(html, []).pdf
    before, after = _cid_widths(plain), _cid_widths(compact)
    assert len(before) == len(after) >= 1
    flat_before = [w for array in before for run in array[1::2] for w in run]
    flat_after = [w for array in after for run in array[1::2] for w in run]
    assert 1000 in flat_before
    assert 1000 not in flat_after
    assert sum(map(len, after)) < sum(map(len, before)) / 3
    pages = []
    for name, pdf in (("plain", plain), ("compact", compact)):
        source = tmp_path / f"{name}.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", "100", "-gray", str(source), str(tmp_path / name)], check=True
        )
        pages.append(sorted(tmp_path.glob(f"{name}-*.pgm")))
    assert len(pages[0]) == len(pages[1]) >= 1
    for drawn_before, drawn_after in zip(*pages, strict=True):
        assert drawn_before.read_bytes() == drawn_after.read_bytes()
