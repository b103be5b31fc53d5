"""Collecting what went wrong, and concluding the worst indication."""

from __future__ import annotations

from dataclasses import dataclass, field

from documents.verify.reports import (
    FAILED,
    INDETERMINATE,
    PASSED,
    Indication,
    Reason,
)

# --- Verdicts ------------------------------------------------------------------------


@dataclass
class _Findings:
    """Collect failed checks; the first TOTAL-FAILED wins, else the first INDETERMINATE."""

    items: list[tuple[Indication, str, Reason]] = field(default_factory=list)

    def add(self, indication: Indication, sub_indication: str, code: str, detail: str) -> None:
        self.items.append((indication, sub_indication, Reason(code, detail)))

    def verdict(self) -> tuple[Indication, str | None, tuple[Reason, ...]]:
        reasons = tuple(reason for _, _, reason in self.items)
        for wanted in (FAILED, INDETERMINATE):
            for indication, sub_indication, _ in self.items:
                if indication == wanted:
                    return indication, sub_indication, reasons
        return PASSED, None, reasons
