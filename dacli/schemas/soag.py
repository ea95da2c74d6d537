"""A recorded Severity of Abuse Grid (`soag-<timestamp>-<rand>.toml.age`). Each grid is a new record."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from dacli.schemas.common import Strict
from dacli.schemas.soag_bank import SOAG_VERSION

SOAG_SCHEMA = "soag/1"
TYPES = ("physical", "sexual", "stalking_harassment", "jealous_controlling_emotional")


class SoagRow(Strict):
    occurring: Literal["yes", "no", "dont-know", "not-answered"] = "not-answered"
    """Is abuse occurring? 'Current' means an incident in the last 3 months."""
    severity: Literal["high", "moderate", "standard"] | None = None
    escalation_severity: Literal["worse", "unchanged", "reduced"] | None = None
    """Escalation in severity (past 3 months)."""
    escalation_frequency: Literal["worse", "unchanged", "reduced"] | None = None
    """Escalation in frequency (past 3 months)."""

    @model_validator(mode="after")
    def _complete(self) -> SoagRow:
        given = [self.severity, self.escalation_severity, self.escalation_frequency]
        if self.occurring == "yes" and any(v is None for v in given):
            missing = [
                n
                for n, v in zip(
                    ("severity", "escalation_severity", "escalation_frequency"), given, strict=True
                )
                if v is None
            ]
            raise ValueError(f"abuse is occurring, so {', '.join(missing)} must be given too")
        if self.occurring != "yes" and any(v is not None for v in given):
            raise ValueError(
                "severity and escalation are given only when abuse is occurring (occurring = yes)"
            )
        return self


class SoagForm(Strict):
    grid: str = SOAG_VERSION
    assessed_on: dt.date | None = None
    physical: SoagRow = Field(default_factory=SoagRow)
    sexual: SoagRow = Field(default_factory=SoagRow)
    stalking_harassment: SoagRow = Field(default_factory=SoagRow)
    jealous_controlling_emotional: SoagRow = Field(default_factory=SoagRow)

    def rows(self) -> list[tuple[str, SoagRow]]:
        return [(t, getattr(self, t)) for t in TYPES]


class SoagRecord(SoagForm):
    schema_: str = Field(SOAG_SCHEMA, alias="schema")
    case: str
    assessed_by: str
    recorded_at: dt.datetime
