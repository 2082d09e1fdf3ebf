"""What a kind's search records of each family it tried (``automl.search_.trials``).

Shared by the kinds whose trials carry no more than this (forecast, rules, anomaly, NER,
speech); the run log and ``lepton runs`` read the same four fields from every one.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FamilyTrial:
    family: str
    ok: bool
    seconds: float
    note: str = ""


@dataclass
class FamilySearch:
    trials: list[FamilyTrial] = field(default_factory=list)
