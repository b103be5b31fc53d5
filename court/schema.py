"""Every table of the application, for Alembic and for tests: import this, get all metadata."""

from __future__ import annotations

from sqlmodel import SQLModel

from court import audit, history, ratelimit
from court.accounts import models as accounts_models
from court.api import models as api_models
from court.cases import models as cases_models
from court.devices import models as devices_models
from court.eservice import models as eservice_models
from court.filing import models as filing_models
from court.hearing import models as hearing_models
from court.identity import models as identity_models
from court.mediation import models as mediation_models
from court.reference import models as reference_models
from court.registry import models as registry_models
from court.threads import models as threads_models
from signing.evidence import models as evidence_models

MODEL_MODULES = (
    audit,
    history,
    ratelimit,
    accounts_models,
    api_models,
    cases_models,
    devices_models,
    identity_models,
    reference_models,
    filing_models,
    eservice_models,
    evidence_models,
    registry_models,
    mediation_models,
    hearing_models,
    threads_models,
)

metadata = SQLModel.metadata
