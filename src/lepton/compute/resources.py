"""What one task asks of the place it runs: cores and, optionally, memory."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resources:
    """A task's needs; a cluster schedules on them, a local pool sizes itself by cores."""

    cpus: float = 1.0
    memory_bytes: int | None = None
