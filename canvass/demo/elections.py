"""Made-up election results for the demo commune, shaped by each bureau's social profile.

Turnout rises with the share of managers and retired people and falls with
poverty; each candidate's share leans with the profile (workers towards the
far right and the radical left, managers towards the centre and the right).
The figures are fictitious; the 2022 présidentielle candidates are the real
ones so that camp presets by candidate work on the demo.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from canvass.opendata.schemas import RESULTS_COLUMNS

# name, national first-round share (%), lean on (managers, workers, retired), nuance family
PRESIDENTIELLE_2022 = (
    ("ARTHAUD Nathalie", 0.6, (0.0, 1.0, -0.5), "EXG"),
    ("ROUSSEL Fabien", 2.3, (-0.5, 1.5, 0.0), "COM"),
    ("MACRON Emmanuel", 27.8, (1.5, -1.5, 1.5), "ENS"),
    ("LASSALLE Jean", 3.1, (-0.5, 0.5, 0.5), "DIV"),
    ("LE PEN Marine", 23.2, (-2.0, 3.0, -0.3), "RN"),
    ("ZEMMOUR Éric", 7.1, (0.8, 0.0, 0.3), "REC"),
    ("MÉLENCHON Jean-Luc", 22.0, (-0.3, 1.5, -2.0), "FI"),
    ("HIDALGO Anne", 1.8, (0.5, -0.5, 0.5), "SOC"),
    ("JADOT Yannick", 4.6, (1.5, -1.0, -0.5), "ECO"),
    ("PÉCRESSE Valérie", 4.8, (1.5, -1.5, 1.8), "LR"),
    ("POUTOU Philippe", 0.8, (-0.3, 1.0, -0.5), "EXG"),
    ("DUPONT-AIGNAN Nicolas", 2.1, (0.0, 0.5, 0.5), "DLF"),
)
# Fictitious candidates of the demo's circonscription, with 2024 Ministry nuances.
LEGISLATIVES_2024 = (
    ("KERVELLA Maïwenn", 30.0, (0.3, 0.8, -1.2), "UG"),
    ("LE GALL Yannick", 24.0, (1.5, -1.5, 1.5), "ENS"),
    ("MORVAN Patrick", 28.0, (-1.8, 2.8, 0.0), "RN"),
    ("QUÉRÉ Anne", 9.0, (1.2, -1.2, 1.8), "LR"),
    ("TANGUY Loïc", 1.5, (-0.2, 1.0, -0.4), "EXG"),
    ("GUÉGUEN Sophie", 3.5, (0.2, 0.0, 0.2), "REG"),
)
SECOND_ROUND_2024 = ("KERVELLA Maïwenn", "MORVAN Patrick")


def simulate_results(profiles: pd.DataFrame, registered: np.ndarray, bureau_ids: pd.Series, rng: np.random.Generator) -> pd.DataFrame:
    """Return the demo's results (2022 présidentielle round 1, 2024 législatives rounds 1 and 2) as a tidy table.

    ``profiles`` has one row per bureau with ``managers``, ``workers``, ``retired``, ``poverty``.
    """
    centred = (profiles[["managers", "workers", "retired"]] - profiles[["managers", "workers", "retired"]].mean()).to_numpy()
    frames = [
        _election(PRESIDENTIELLE_2022, "2022_pres", 1, 0.79, profiles, centred, registered, bureau_ids, rng),
    ]
    first = _election(LEGISLATIVES_2024, "2024_legi", 1, 0.68, profiles, centred, registered, bureau_ids, rng)
    frames.append(first)
    frames.append(_second_round(first, registered, bureau_ids, rng))
    return pd.concat(frames, ignore_index=True)[list(RESULTS_COLUMNS)]


def _turnout(base: float, profiles: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    logit = np.log(base / (1 - base)) + 2.5 * (profiles["managers"] - 0.12) + 1.5 * (profiles["retired"] - 0.27) - 0.04 * (profiles["poverty"] - 15)
    return 1 / (1 + np.exp(-(logit.to_numpy() + rng.normal(0, 0.08, len(profiles)))))


def _ballots(registered: np.ndarray, turnout: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    voters = rng.binomial(registered, turnout)
    blank = rng.binomial(voters, rng.uniform(0.012, 0.035, len(voters)))
    null = rng.binomial(voters - blank, rng.uniform(0.004, 0.012, len(voters)))
    return voters, blank, null, voters - blank - null


def _election(candidates, election, round_, base_turnout, profiles, centred, registered, bureau_ids, rng) -> pd.DataFrame:
    voters, blank, null, expressed = _ballots(registered, _turnout(base_turnout, profiles, rng), rng)
    base = np.log([share for _, share, _, _ in candidates])
    lean = np.array([weights for _, _, weights, _ in candidates])
    logits = base + 6.0 * centred @ lean.T + rng.normal(0, 0.06, (len(registered), len(candidates)))
    shares = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    votes = np.vstack([rng.multinomial(n, p) for n, p in zip(expressed, shares)])
    return _long(election, round_, bureau_ids, registered, voters, blank, null, expressed, [c[0] for c in candidates], [c[3] for c in candidates], votes)


def _second_round(first: pd.DataFrame, registered, bureau_ids, rng) -> pd.DataFrame:
    """A left-versus-far-right duel: first-round voters move by bloc, some abstain."""
    wide = first.pivot_table(index="bureau_id", columns="candidate", values="n_votes", sort=False).reindex(bureau_ids)
    left, far_right = SECOND_ROUND_2024
    support_left = wide[left] + wide["TANGUY Loïc"] + 0.55 * wide["LE GALL Yannick"] + 0.3 * wide["QUÉRÉ Anne"] + 0.5 * wide["GUÉGUEN Sophie"]
    support_right = wide[far_right] + 0.1 * wide["LE GALL Yannick"] + 0.4 * wide["QUÉRÉ Anne"] + 0.2 * wide["GUÉGUEN Sophie"]
    turnout = np.clip((support_left + support_right).to_numpy() / registered * rng.uniform(1.08, 1.14, len(registered)), 0.3, 0.9)
    voters, blank, null, expressed = _ballots(registered, turnout, rng)
    share_left = (support_left / (support_left + support_right)).to_numpy()
    left_votes = rng.binomial(expressed, share_left)
    votes = np.column_stack([left_votes, expressed - left_votes])
    nuances = first.drop_duplicates("candidate").set_index("candidate")["nuance"]
    return _long("2024_legi", 2, bureau_ids, registered, voters, blank, null, expressed, list(SECOND_ROUND_2024), [nuances[c] for c in SECOND_ROUND_2024], votes)


def _long(election, round_, bureau_ids, registered, voters, blank, null, expressed, names, nuances, votes) -> pd.DataFrame:
    n_bureaux, n_candidates = votes.shape
    repeat = lambda values: np.repeat(np.asarray(values, dtype=float), n_candidates)  # noqa: E731
    return pd.DataFrame(
        {
            "election": election,
            "round": round_,
            "bureau_id": np.repeat(bureau_ids.to_numpy(), n_candidates),
            "commune": np.repeat(bureau_ids.str.slice(0, 5).to_numpy(), n_candidates),
            "n_registered": repeat(registered),
            "n_voters": repeat(voters),
            "n_abstentions": repeat(np.asarray(registered) - voters),
            "n_expressed": repeat(expressed),
            "n_blank": repeat(blank),
            "n_null": repeat(null),
            "candidate": np.tile(names, n_bureaux),
            "nuance": np.tile(nuances, n_bureaux),
            "n_votes": votes.ravel().astype(float),
        }
    )
