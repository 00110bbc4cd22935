"""A planning run in a background thread, so that an app can show its progress and stop it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from canvass.plan.problem import PlanningProblem
from canvass.plan.result import Plan
from canvass.plan.solve import plan_walks


@dataclass
class PlanJob:
    """Run :func:`plan_walks` in a thread; read ``fraction``/``message`` while it runs, ``plan`` or ``error`` after."""

    problem: PlanningProblem
    time_limit_s: float = 30.0
    seed: int = 0
    fraction: float = 0.0
    message: str = "en attente"
    plan: Plan | None = None
    error: Exception | None = None
    started: float = field(default_factory=time.perf_counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> PlanJob:
        self._thread = threading.Thread(target=self._run, name="canvass-plan", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.plan = plan_walks(self.problem, time_limit_s=self.time_limit_s, seed=self.seed, on_progress=self._progress, should_stop=self._stop.is_set)
        except Exception as error:  # reported to the user by the app, not lost in the thread
            self.error = error
        finally:
            self.fraction = 1.0

    def _progress(self, fraction: float, message: str) -> None:
        self.fraction, self.message = fraction, message

    def stop(self) -> None:
        """Ask the search to stop; the best plan found so far is kept."""
        self._stop.set()

    @property
    def done(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
