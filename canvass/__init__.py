"""canvass: door-to-door canvassing planner for French election campaigns.

The pipeline, one subpackage per stage (imports only go backwards along it):
official data (``opendata``) → territory (``territory``) → priority scores
(``scores``) → street plan (``plan``) → maps and sheets (``outputs``) →
campaign state and field log (``campaign``, ``field``), under ``app.py`` and
the ``canvass`` command line.

The entry points below are imported on first use, so that ``import canvass``
(and every command) does not load OR-Tools, matplotlib and folium it may not need.
"""

from importlib import import_module

__version__ = "0.1.0"

_ENTRY_POINTS = {
    "build_territory": "canvass.territory.build",
    "score_territory": "canvass.scores.score",
    "build_problem": "canvass.plan.problem",
    "plan_walks": "canvass.plan.solve",
    "export_bundle": "canvass.outputs.export",
}
__all__ = list(_ENTRY_POINTS)


def __getattr__(name: str):
    if name in _ENTRY_POINTS:
        return getattr(import_module(_ENTRY_POINTS[name]), name)
    raise AttributeError(f"module 'canvass' has no attribute {name!r}")
