"""Every table of the application, for Alembic and for tests: import this, get all metadata."""

from __future__ import annotations

from sqlmodel import SQLModel

from court import audit, history
from court.accounts import models as accounts_models
from court.api import models as api_models
from court.cases import models as cases_models
from court.devices import models as devices_models
from court.identity import models as identity_models
from court.reference import models as reference_models

MODEL_MODULES = (
    audit,
    history,
    accounts_models,
    api_models,
    cases_models,
    devices_models,
    identity_models,
    reference_models,
)

metadata = SQLModel.metadata

#: Tables whose rows are never changed or deleted once written; triggers enforce it.
APPEND_ONLY_TABLES = ("audit_event", "state_history")
