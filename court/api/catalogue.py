"""Every module that declares API endpoints, imported once, then the OpenAPI routes.

Adding an API module means adding it here; the OpenAPI document then covers it.
"""

from __future__ import annotations

from court.accounts import api as accounts_api
from court.api import api
from court.api.openapi import register_openapi
from court.cases import api as cases_api
from court.devices import api as devices_api
from court.eservice import api as eservice_api
from court.evidence import api as evidence_api
from court.filing import api as filing_api
from court.hearing import api as hearing_api
from court.identity import api as identity_api
from court.mediation import api as mediation_api
from court.mediation import mediations_api
from court.reference import api as reference_api
from court.registry import api as registry_api
from court.threads import api as thread_api
from court.verification import api as verification_api

API_MODULES = (
    accounts_api,
    identity_api,
    devices_api,
    cases_api,
    reference_api,
    filing_api,
    eservice_api,
    evidence_api,
    registry_api,
    verification_api,
    mediation_api,
    mediations_api,
    thread_api,
    hearing_api,
)

register_openapi(api, title="移动微法院 Mobile Micro-Court API", version="1.0")
