"""The app as `make run` serves it, plus a bare endpoint that only streams bytes to disk."""

from __future__ import annotations

import os
import tempfile

from flask import request
from flask.typing import ResponseReturnValue

from court import create_app
from court.app import csrf

app = create_app()


@csrf.exempt  # type: ignore[untyped-decorator]
@app.post("/bench/bare-upload")
def bare_upload() -> ResponseReturnValue:
    """The baseline for P3: stream the body to a file, fsync, and forget it."""
    request.max_content_length = 64 * 1024 * 1024
    fd, name = tempfile.mkstemp(dir=app.instance_path)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := request.stream.read(256 * 1024):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    finally:
        os.unlink(name)
    return "", 204
