"""The public verification page: upload a PDF or open /verify/<code> from the QR code."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from court import components
from court.db import db
from court.ratelimit import limit_address
from court.verification import services
from documents.short_codes import normalise_short_code

verification_web = Blueprint("verification_web", __name__, url_prefix="/verify")

#: ETSI EN 319 102-1 sub-indications, said the way a bank clerk understands them.
SUB_INDICATION_TEXT = {
    "HASH_FAILURE": "文件内容在签名后被改动，或不是本院出具的文件",
    "SIG_CRYPTO_FAILURE": "签名数据无效",
    "FORMAT_FAILURE": "文件格式异常，或签名之后又被修改、追加了内容",
    "REVOKED": "签名证书在签名时已被吊销",
    "NO_CERTIFICATE_CHAIN_FOUND": "签名证书不是由本院信任的机构签发",
    "TRY_LATER": "暂时缺少证书状态信息，请稍后再试",
    "SIGNED_DATA_NOT_FOUND": "缺少应有的签名或印章",
    "SIG_CONSTRAINTS_FAILURE": "同一人在多处签名位置签名（每位签名人只应签一处）",
    "NO_POE": "签名时间戳无效",
    "OUT_OF_BOUNDS_NO_POE": "签名时证书已不在有效期内",
    "GENERIC": "存证记录无法核对",
}

INDICATION_TEXT = {
    "TOTAL-PASSED": "有效",
    "TOTAL-FAILED": "无效",
    "INDETERMINATE": "无法确认",
}


@verification_web.get("/")
def form() -> str:
    return render_template(
        "verify.html",
        result=None,
        document=None,
        indication_text=INDICATION_TEXT,
        sub_text=SUB_INDICATION_TEXT,
    )


@verification_web.post("/")
def upload() -> tuple[str, int] | str:
    limit_address("verify", components.settings().verify_per_minute)
    uploaded = request.files.get("pdf")
    data = uploaded.read(31 * 1024 * 1024) if uploaded else b""
    if not data.startswith(b"%PDF-"):
        return render_template(
            "verify.html",
            result=None,
            document=None,
            indication_text=INDICATION_TEXT,
            sub_text=SUB_INDICATION_TEXT,
            error="请选择一个 PDF 文件。",
        ), 400
    result = services.verify_document_bytes(
        db(), components.pki(), components.evidence_log(), components.log_verifier_key(), data
    )
    return render_template(
        "verify.html",
        result=result,
        document=result.document,
        indication_text=INDICATION_TEXT,
        sub_text=SUB_INDICATION_TEXT,
    )


@verification_web.get("/<code>")
def by_code(code: str) -> tuple[str, int] | str:
    document = services.find_by_code(db(), normalise_short_code(code) or "")
    if document is None:
        return render_template(
            "verify.html",
            result=None,
            document=None,
            indication_text=INDICATION_TEXT,
            sub_text=SUB_INDICATION_TEXT,
            error="未找到该验证码对应的文书，请核对验证码。",
        ), 404
    return render_template(
        "verify.html",
        result=None,
        document=document,
        indication_text=INDICATION_TEXT,
        sub_text=SUB_INDICATION_TEXT,
        revisions=services.revisions_of(db(), document.id),
    )
