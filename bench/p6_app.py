"""The app as served by `make run`, plus one bare endpoint as the baseline for P6."""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue

from court import create_app

app = create_app()


@app.get("/bench/bare")
def bare() -> ResponseReturnValue:
    """A bare Flask endpoint: no authentication, no database."""
    return jsonify(items=[])
