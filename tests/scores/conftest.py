"""Small hand-computable results tables for the scoring tests."""

import pandas as pd
import pytest

from canvass.opendata.schemas import RESULTS_COLUMNS


def results_rows(election, rows):
    """rows: bureau, registered, voters, expressed, {candidate: (nuance, votes)}."""
    records = []
    for bureau, registered, voters, expressed, votes in rows:
        for candidate, (nuance, n_votes) in votes.items():
            records.append(
                {
                    "election": election, "round": 1, "bureau_id": bureau, "commune": bureau[:5],
                    "n_registered": float(registered), "n_voters": float(voters), "n_abstentions": float(registered - voters),
                    "n_expressed": float(expressed), "n_blank": float(voters - expressed), "n_null": 0.0,
                    "candidate": candidate, "nuance": nuance, "n_votes": float(n_votes),
                }
            )
    return pd.DataFrame(records)[list(RESULTS_COLUMNS)]


@pytest.fixture
def three_bureaux():
    """2024: bureau 1 leans left (60 % of 50 expressed, 40 % abstention), bureau 2 right (25 %, 50 %),
    bureau 3 has 40 registered only (below the suppression threshold of 50)."""
    return results_rows(
        "2024_legi",
        [
            ("29999_0001", 100, 60, 50, {"A": ("UG", 30), "B": ("RN", 20)}),
            ("29999_0002", 200, 100, 100, {"A": ("UG", 25), "B": ("RN", 75)}),
            ("29999_0003", 40, 20, 20, {"A": ("UG", 10), "B": ("RN", 10)}),
        ],
    )


@pytest.fixture
def two_elections(three_bureaux):
    """Adds 2022 for bureau 1: camp share 40 % (20 of 50 expressed), abstention 50 %."""
    older = results_rows("2022_legi", [("29999_0001", 100, 50, 50, {"C": ("NUP", 20), "D": ("ENS", 30)})])
    return pd.concat([older, three_bureaux], ignore_index=True)
