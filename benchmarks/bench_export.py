"""Benchmark: exporting a 30-team plan (maps, sheets, booklet, overview), against a plain export in the same run.

    python benchmarks/bench_export.py

Baseline: what a minimal export costs — one plain folium map per team (CDN-linked, no inlined
assets, no street list) and a one-page fpdf2 table per team (no map image, no QR code). Ours: the
full bundle of ``canvass export``. Target: 30 teams in under 30 s; team maps under 2 MB.
Writes ``benchmarks/results/export.csv``.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from pathlib import Path

import folium
from fpdf import FPDF

from canvass.crs import to_web
from canvass.demo import DEMO_COMMUNE, write_demo
from canvass.outputs.export import export_bundle
from canvass.plan.io import load_plan, save_plan
from canvass.plan.problem import build_problem
from canvass.plan.solve import plan_walks
from canvass.plan.teams import Team
from canvass.scores.camps import Camp
from canvass.scores.score import score_territory
from canvass.scores.strategies import ScoreParams
from canvass.territory.build import build_territory

from _common import write_rows


def plain_export(walks, teams, folder: Path) -> None:
    for team in teams:
        steps = to_web(walks[walks["team"] == team.name])
        bounds = steps.total_bounds
        m = folium.Map(location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2], zoom_start=16, tiles=None)
        folium.GeoJson(steps[["order", "geometry"]]).add_to(m)
        m.save(folder / f"{team.name}.html")
        pdf = FPDF()
        pdf.add_page()
        pdf.set_font("helvetica", size=10)
        for row in steps.itertuples():
            pdf.cell(0, 6, f"{row.order} {row.street_name.encode('latin-1', 'replace').decode('latin-1')} {row.n_doors:.0f}", new_x="LMARGIN", new_y="NEXT")
        pdf.output(str(folder / f"{team.name}.pdf"))


def main() -> None:
    work = Path(tempfile.mkdtemp())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_demo(work / "demo")
        territory = build_territory(work / "demo", [DEMO_COMMUNE])
    scores = score_territory(territory, ScoreParams(camp=Camp(("gauche",))))
    points = territory.bureaux.geometry.representative_point()
    teams = [Team(f"Équipe {i + 1}", 2, (points.iloc[i % 12].x, points.iloc[i % 12].y), 120) for i in range(30)]
    plan = plan_walks(build_problem(territory.segments, scores.segments, teams), time_limit_s=20)
    save_plan(plan, teams, territory, work / "plan.gpkg")
    plan, teams, walks = load_plan(work / "plan.gpkg")
    start = time.perf_counter()
    (work / "plain").mkdir()
    plain_export(walks, teams, work / "plain")
    baseline = time.perf_counter() - start
    bundle = export_bundle(plan, teams, walks, work / "bundle", territory=territory, bureau_scores=scores.bureaux.reset_index(),
                           base_url="https://exemple.org/pap")
    sizes = [(work / "bundle" / item["map"]).stat().st_size for item in bundle.links.values()]
    row = {"teams": len(teams), "bundle_s": round(bundle.seconds, 2), "baseline_s": round(baseline, 2), "ratio": round(bundle.seconds / baseline, 2),
           "largest_team_map_kb": round(max(sizes) / 1024), "target_s": 30}
    print(f"{'teams':>5} {'bundle s':>9} {'plain s':>8} {'ratio':>6} {'largest map':>12} target")
    print(f"{row['teams']:5d} {row['bundle_s']:9.2f} {row['baseline_s']:8.2f} {row['ratio']:6.2f} {row['largest_team_map_kb']:9d} kB  < 30 s")
    write_rows([row], "export")


if __name__ == "__main__":
    main()
