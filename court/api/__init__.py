"""The mini-app JSON API under /api/v1 (DESIGN.md §6)."""

from court.api.routing import ApiBlueprint

api = ApiBlueprint("api_v1", "/api/v1")
