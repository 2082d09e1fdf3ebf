"""Seeded support-ticket texts with PERSON, ORG, GPE and a label no pretrained model knows.

For tests and the example: ``TICKET`` ids ("INC-40213") are an entity type the
pretrained pipeline has never seen, so whether fine-tuning learnt it is measurable.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lepton.learn.ner.spans import Span, dumps

PEOPLE = [
    "Maria Lopez",
    "John Smith",
    "Aisha Khan",
    "Peter Novak",
    "Chen Wei",
    "Laura Rossi",
    "David Miller",
    "Fatima Ali",
    "Tom Becker",
    "Sara Jensen",
    "Ivan Petrov",
    "Emma Brown",
]
COMPANIES = [
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Inc",
    "Stark Industries",
    "Wayne Enterprises",
    "Hooli",
    "Vandelay Industries",
    "Soylent Co",
    "Cyberdyne Systems",
]
CITIES = [
    "Berlin",
    "Madrid",
    "Chicago",
    "Toronto",
    "Mumbai",
    "Sydney",
    "Paris",
    "Tokyo",
    "Nairobi",
    "Boston",
    "Lisbon",
    "Seoul",
]
TEMPLATES = [
    "{PERSON} from {ORG} reported ticket {TICKET} about the outage in {GPE}.",
    "Ticket {TICKET} was escalated by {PERSON} after the {GPE} office lost access.",
    "Please close {TICKET}: {PERSON} at {ORG} confirmed the fix.",
    "{ORG} opened {TICKET} because the {GPE} warehouse cannot print labels.",
    "Customer {PERSON} ({ORG}, {GPE}) asked for an update on {TICKET}.",
    "The refund for {TICKET} was approved by {PERSON} in {GPE}.",
]


def ticket_texts(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """``text`` and ``entities`` (JSON spans) for ``n`` seeded ticket sentences."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        template = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
        values = {
            "PERSON": PEOPLE[int(rng.integers(len(PEOPLE)))],
            "ORG": COMPANIES[int(rng.integers(len(COMPANIES)))],
            "GPE": CITIES[int(rng.integers(len(CITIES)))],
            "TICKET": f"{['INC', 'REQ', 'CHG'][int(rng.integers(3))]}-{int(rng.integers(10000, 99999))}",
        }
        text, spans, i = "", [], 0
        while i < len(template):
            if template[i] == "{":
                close = template.index("}", i)
                label = template[i + 1 : close]
                spans.append(Span(len(text), len(text) + len(values[label]), label))
                text += values[label]
                i = close + 1
            else:
                text += template[i]
                i += 1
        rows.append({"text": text, "entities": dumps(spans)})
    return pd.DataFrame(rows)
