"""A street plan: per team, the ordered walk; the streets left out and why; the figures an organiser needs."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Step:
    """One street segment of a walk, in order: reached after ``approach_m`` of walking, walked in ``reverse`` or not."""

    segment_id: int
    reverse: bool
    street_name: str
    n_doors: float
    value: float
    approach_m: float
    length_m: float
    minutes_walking: float
    minutes_knocking: float
    label: str = ""
    """How volunteers read the unit ('Rue de Passy, n° 2–40 (côté pair)'); the street name when empty."""


@dataclass(frozen=True)
class TeamWalk:
    """A team's walk from its meeting place, segment by segment, and back (``return_m``) when asked."""

    team: str
    steps: tuple[Step, ...]
    return_m: float
    budget_minutes: float

    @property
    def distance_m(self) -> float:
        return sum(step.approach_m + step.length_m for step in self.steps) + self.return_m

    @property
    def minutes_walking(self) -> float:
        return sum(step.minutes_walking for step in self.steps) + (self._return_minutes if self.steps else 0.0)

    @property
    def minutes_between(self) -> float:
        """Walking from one unit to the next (and to and from the meeting place): the time search can save."""
        return self.minutes_walking - self.minutes_along

    @property
    def minutes_along(self) -> float:
        """Walking along the units served (part of their service)."""
        return sum(step.minutes_walking * step.length_m / (step.approach_m + step.length_m) for step in self.steps if step.approach_m + step.length_m > 0)

    @property
    def minutes_knocking(self) -> float:
        return sum(step.minutes_knocking for step in self.steps)

    @property
    def minutes(self) -> float:
        return self.minutes_walking + self.minutes_knocking

    @property
    def n_doors(self) -> float:
        return sum(step.n_doors for step in self.steps)

    @property
    def value(self) -> float:
        return sum(step.value for step in self.steps)

    @property
    def _return_minutes(self) -> float:
        # Pace of the walk, recovered from the steps (all steps share the team's pace).
        walked = sum(step.approach_m + step.length_m for step in self.steps)
        minutes = sum(step.minutes_walking for step in self.steps)
        return self.return_m * minutes / walked if walked > 0 else 0.0


@dataclass(frozen=True)
class Plan:
    """The plan: walks, unserved segments with their reason, and how it was made (method, seed, timings)."""

    walks: tuple[TeamWalk, ...]
    unserved: pd.DataFrame
    method: str
    seed: int
    seconds: float
    seconds_to_first: float
    params: dict = field(default_factory=dict)
    service_bound: float | None = None
    """The most value any plan could collect (:func:`canvass.plan.bounds.plan_bounds`), when known."""

    def table(self) -> pd.DataFrame:
        """One row per team: doors, value, minutes walking and knocking, distance, share of the budget used."""
        rows = [
            {
                "team": walk.team,
                "n_segments": len(walk.steps),
                "n_doors": round(walk.n_doors, 1),
                "value": round(walk.value, 2),
                "minutes_walking": round(walk.minutes_walking, 1),
                "minutes_knocking": round(walk.minutes_knocking, 1),
                "minutes": round(walk.minutes, 1),
                "budget_minutes": walk.budget_minutes,
                "distance_km": round(walk.distance_m / 1000, 2),
            }
            for walk in self.walks
        ]
        return pd.DataFrame(rows)

    def totals(self) -> dict:
        """Whole-plan figures: doors, value, walking share of volunteer time."""
        table = self.table()
        minutes = float(table["minutes"].sum()) if len(table) else 0.0
        budget = sum(walk.budget_minutes for walk in self.walks)
        return {
            "n_teams": len(self.walks),
            "n_segments": int(table["n_segments"].sum()) if len(table) else 0,
            "n_doors": float(table["n_doors"].sum()) if len(table) else 0.0,
            "value": float(table["value"].sum()) if len(table) else 0.0,
            "walking_share": float(table["minutes_walking"].sum() / minutes) if minutes else 0.0,
            "between_share": sum(walk.minutes_between for walk in self.walks) / budget if budget else 0.0,
            "along_share": sum(walk.minutes_along for walk in self.walks) / budget if budget else 0.0,
            "budget_used": float(minutes / table["budget_minutes"].sum()) if len(table) else 0.0,
            "n_unserved": int(len(self.unserved)),
            "share_of_bound": self.share_of_bound,
        }

    @property
    def share_of_bound(self) -> float | None:
        """Value collected as a share of the service bound (None when the bound is unknown)."""
        if self.service_bound is None:
            return None
        return sum(walk.value for walk in self.walks) / self.service_bound if self.service_bound > 0 else 1.0

    def summary(self) -> str:
        """A few lines for the terminal."""
        totals = self.totals()
        lines = [
            f"{self.method}: {totals['n_teams']} teams, {totals['n_segments']} segments, {totals['n_doors']:.0f} doors, "
            f"value {totals['value']:.1f}, walking {totals['walking_share']:.0%} of the time, budget used {totals['budget_used']:.0%} "
            f"(first plan in {self.seconds_to_first:.2f} s, done in {self.seconds:.1f} s, seed {self.seed})"
        ]
        if self.share_of_bound is not None:
            lines.append(f"ce plan atteint {round(100 * self.share_of_bound)} % du maximum théorique "
                         f"(valeur {totals['value']:.1f} sur {self.service_bound:.1f} si personne ne marchait entre les rues)")
        for row in self.table().itertuples():
            lines.append(
                f"  {row.team:20} {row.n_segments:4d} segments {row.n_doors:7.0f} doors  walk {row.minutes_walking:5.0f} min  "
                f"knock {row.minutes_knocking:5.0f} min / {row.budget_minutes:.0f}  {row.distance_km:.1f} km"
            )
        return "\n".join(lines)
