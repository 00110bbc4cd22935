"""Many communes at once: build, score and plan each commune of a département (or of France) over Dask distributed."""

from canvass.batch.commune import BatchSettings, CommuneOutcome
from canvass.batch.run import BatchResult, run_batch
from canvass.batch.teams import TeamsRule, teams_by_commune

__all__ = ["BatchResult", "BatchSettings", "CommuneOutcome", "TeamsRule", "run_batch", "teams_by_commune"]
