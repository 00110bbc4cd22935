"""Command line: one subcommand per action of the app.

    canvass demo                      generate the demo commune, build it, print its report
    canvass build FOLDER --commune CODE --out FILE     (or: canvass build --commune CODE --fetch [--out FILE])
    canvass fetch --commune CODE|NAME --out FOLDER [--elections 2024_legi ...] [--offline] [--catalogue FILE] [--cache DIR]
    canvass report FILE [--json]
    canvass score TERRITORY --strategy mobilisation --camp gauche --out scores.gpkg
    canvass backtest TERRITORY --from 2022_legi --to 2024_legi --camp 2022_legi=CADALEN --camp 2024_legi=UG
    canvass plan TERRITORY --scores scores.gpkg --teams equipes.csv --out plan.gpkg   (or: canvass plan --demo)
    canvass export plan.gpkg --out partage/ --base-url https://example.org/porte-a-porte
    canvass serve partage/ --campaign demo [--store data/campagne.sqlite] [--port 8502]
    canvass field import terrain.csv --campaign demo; canvass field done --out done.csv; canvass field progress --plan plan.gpkg
    canvass batch DATA --commune 04 --workers 2 --out lots/ [--scheduler tcp://host:8786] [--teams-rule taille=2,inscrits=1000]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import warnings
from pathlib import Path

from canvass.errors import CanvassError

log = logging.getLogger("canvass")


class _ProgressPrinter:
    """Print progress callbacks to stderr as ``[ 45%] message (1.2 s)``."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.start = time.perf_counter()

    def __call__(self, fraction: float, message: str) -> None:
        if not self.quiet:
            elapsed = time.perf_counter() - self.start
            print(f"[{fraction:4.0%}] {message} ({elapsed:.1f} s)", file=sys.stderr, flush=True)


def _forced_files(specs: list[str]) -> dict[Path, str]:
    forced = {}
    for spec in specs:
        kind, separator, path = spec.partition("=")
        if not separator:
            raise CanvassError(f"--file expects KIND=PATH (e.g. results:mi2022=resultats.txt), got {spec!r}")
        forced[Path(path)] = kind
    return forced


def _fetch(args: argparse.Namespace, commune: str, folder: Path, progress) -> int:
    """Run canvass fetch for one commune; print the summary; 0 when something usable came, else 1."""
    from canvass.fetch import fetch_commune

    report = fetch_commune(commune, folder, elections=args.elections, catalogue=args.catalogue,
                           cache_dir=Path(args.cache) if args.cache else None, offline=args.offline, on_progress=progress)
    print(report.summary(), file=sys.stderr)
    args.commune = [report.place.code]
    return 0 if report.usable else 1


def _cmd_fetch(args: argparse.Namespace) -> int:
    status = _fetch(args, args.commune, Path(args.out), _ProgressPrinter(args.quiet))
    print(f"files written to {args.out}; next: canvass build {args.out} --commune {args.commune[0]} --out territory.gpkg", file=sys.stderr)
    return status


def _cmd_build(args: argparse.Namespace) -> int:
    from canvass.territory.build import build_territory
    from canvass.territory.io import save_territory
    from canvass.territory.report import format_report, territory_report

    progress = _ProgressPrinter(args.quiet)
    if args.fetch:
        if len(args.commune) != 1:
            raise CanvassError("canvass build --fetch takes one --commune (a code or a name)")
        from canvass.fetch.cache import default_cache_dir

        folder = Path(args.folder) if args.folder else (Path(args.cache) if args.cache else default_cache_dir()) / "communes" / args.commune[0]
        if _fetch(args, args.commune[0], folder, progress) != 0:
            raise CanvassError(f"nothing usable could be fetched for {args.commune[0]}; see the list above")
        args.folder = str(folder)
        args.out = args.out or f"{args.commune[0]}.gpkg"
    elif not (args.folder and args.out):
        raise CanvassError("canvass build needs FOLDER and --out (or --fetch)")
    territory = build_territory(Path(args.folder), args.commune, forced=_forced_files(args.file), on_progress=progress)
    save_territory(territory, Path(args.out))
    report = territory_report(territory)
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else format_report(report))
    print(f"territory written to {args.out}", file=sys.stderr)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from canvass.territory.io import load_territory
    from canvass.territory.report import format_report, territory_report

    report = territory_report(load_territory(Path(args.territory)))
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else format_report(report))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from canvass.demo import DEMO_COMMUNE, write_demo
    from canvass.territory.build import build_territory
    from canvass.territory.io import save_territory
    from canvass.territory.report import format_report, territory_report

    progress = _ProgressPrinter(args.quiet)
    folder = Path(args.data)
    progress(0.0, f"writing the demo commune's official files to {folder}")
    write_demo(folder, seed=args.seed)
    territory = build_territory(folder, [DEMO_COMMUNE], on_progress=progress)
    out = Path(args.out) if args.out else folder / "territory.gpkg"
    save_territory(territory, out)
    print(format_report(territory_report(territory)))
    print(f"territory written to {out}", file=sys.stderr)
    return 0


def _score_params(args: argparse.Namespace):
    from canvass.scores.camps import Camp
    from canvass.scores.strategies import ScoreParams

    weights = {}
    for item in (args.weights or "").split(","):
        if item.strip():
            name, _, value = item.partition("=")
            weights[name.strip()] = float(value)
    return ScoreParams(
        strategy=args.strategy,
        camp=Camp.parse(args.camp),
        decay=args.decay,
        round=args.round,
        census_weight=getattr(args, "census_weight", 0.0),
        min_registered=args.min_registered,
        model=getattr(args, "model", "plain"),
        upcoming=getattr(args, "upcoming", None),
        **({"weights": weights} if weights else {}),
        **({"elections": tuple(args.elections)} if getattr(args, "elections", None) else {}),
    )


def _cmd_score(args: argparse.Namespace) -> int:
    from canvass.scores.camps import CampWarning
    from canvass.scores.score import displayed, score_territory, write_scores
    from canvass.territory.io import load_territory

    territory = load_territory(Path(args.territory))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CampWarning)  # printed once below, as a sentence
        scores = score_territory(territory, _score_params(args), seed=args.seed, on_progress=_ProgressPrinter(args.quiet))
    for message in scores.warnings:
        print(f"warning: {message}", file=sys.stderr)
    write_scores(scores, territory, Path(args.out))
    shown = displayed(scores.bureaux).head(args.top)
    print(f"{args.strategy}, camp {scores.params.camp.describe() or '(none)'}; {len(scores.bureaux)} bureaux, best first:")
    print(shown[["score", "rank", "priority", "n_doors", "n_registered", "share_abstention", "share_camp"]].to_string(float_format=lambda v: f"{v:.3f}"))
    for name, model in scores.models.items():
        print(f"census model of {name}: {model.summary()}")
    print(f"scores written to {args.out}", file=sys.stderr)
    return 0


def _cmd_backtest(args: argparse.Namespace) -> int:
    from canvass.scores.backtest import backtest_territory
    from canvass.territory.io import load_territory

    territory = load_territory(Path(args.territory))
    result = backtest_territory(territory, _score_params(args), source=args.source, target=args.target, seed=args.seed)
    print(result.summary())
    if args.out:
        result.table.to_csv(args.out, index_label="ranking")
    return 0


def _cmd_experiment(args: argparse.Namespace) -> int:
    from canvass.scores.camps import Camp, CampWarning
    from canvass.scores.experiment import Assignment, assign, evaluate
    from canvass.scores.score import score_territory
    from canvass.territory.io import load_territory

    territory = load_territory(Path(args.territory))
    if args.evaluate:
        if not args.election:
            raise CanvassError("canvass experiment --evaluate needs --election, the election held after the campaign (e.g. 2026_muni)")
        assignment = Assignment.read(Path(args.evaluate))
        camp = Camp.parse(args.camp) if args.camp else None
        table = evaluate(assignment, territory.results, election=args.election, camp=camp, round_=args.round)
        print(f"experiment {assignment.sha256[:12]}: {assignment.power.n_canvassed} canvassed, {assignment.power.n_held_back} held back")
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        if args.out:
            table.to_csv(args.out, index=False)
        return 0
    if args.seed is None:
        raise CanvassError("canvass experiment needs --seed N to draw the held-back bureaux (write the seed down with the campaign)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CampWarning)
        scores = score_territory(territory, _score_params(args), seed=args.seed)
    for message in scores.warnings:
        print(f"warning: {message}", file=sys.stderr)
    bureaux = scores.bureaux.head(args.top) if args.top else scores.bureaux
    assignment = assign(bureaux, share=args.share, n_strata=args.strata, seed=args.seed, camp=scores.params.camp)
    out = Path(args.out or "experiment.json")
    assignment.write(out)
    power = assignment.power
    print(f"{power.n_canvassed} bureaux to canvass, {power.n_held_back} held back (seed {args.seed}), sha256 {assignment.sha256}")
    print("held back: " + ", ".join(assignment.held_back_ids))
    print(f"detectable at {power.power:.0%} power: turnout {power.mde_turnout:.1%}, camp share {power.mde_share_camp:.1%} (points)")
    print(f"assignment written to {out}; plan with the held-back bureaux' segments forbidden", file=sys.stderr)
    return 0


def _segment_ids(spec: str | None) -> set[int]:
    """Segment ids from a CSV with a ``segment_id`` column, or from a comma-separated list."""
    if not spec:
        return set()
    path = Path(spec)
    if path.exists():
        import pandas as pd

        return set(pd.read_csv(path)["segment_id"].astype(int))
    return {int(item) for item in spec.split(",") if item.strip()}


def _cmd_plan(args: argparse.Namespace) -> int:
    import geopandas as gpd

    from canvass.plan.baseline import baseline_plan
    from canvass.plan.check import check_plan
    from canvass.plan.io import save_plan
    from canvass.plan.problem import build_problem
    from canvass.plan.solve import plan_walks
    from canvass.plan.teams import read_teams
    from canvass.territory.io import load_territory

    progress = _ProgressPrinter(args.quiet)
    if args.demo:
        territory_path, scores_path, teams_path = _demo_inputs(Path(args.data), progress)
        out = Path(args.out or Path(args.data) / "plan.gpkg")
    else:
        if not (args.territory and args.scores and args.teams and args.out):
            raise CanvassError("canvass plan needs TERRITORY, --scores, --teams and --out (or --demo)")
        territory_path, scores_path, teams_path, out = Path(args.territory), Path(args.scores), Path(args.teams), Path(args.out)
    territory = load_territory(territory_path)
    try:
        segment_values = gpd.read_file(scores_path, layer="segment_scores")
    except Exception as error:
        raise CanvassError(f"{scores_path}: no segment_scores layer ({error}); write the scores as .gpkg with canvass score") from error
    teams = read_teams(teams_path, addresses=territory.addresses)
    locks = dict(item.split("=", 1) for item in args.lock)
    done, forbidden = _segment_ids(args.done), _segment_ids(args.forbid) | _held_back_segments(args.experiment, territory)
    options = {"addresses": territory.addresses}
    if args.suggest_meeting_places:
        from canvass.plan.meeting_places import suggest_meeting_places

        suggestion = suggest_meeting_places(territory, segment_values, teams, args.suggest_meeting_places, done=frozenset(done),
                                            problem_options=options, seed=args.seed, on_progress=progress)
        print(suggestion.table().to_string(index=False))
        suggested = out.with_name(f"{out.stem}_equipes_suggerees.csv")
        suggestion.teams_table().to_csv(suggested, sep=";", index=False)
        print(f"suggested meeting places written to {suggested} (edit it and pass it back with --teams)", file=sys.stderr)
        teams = list(suggestion.teams)
    if args.sessions:
        return _plan_sessions(args, territory, segment_values, teams, done, forbidden, options, out, progress)
    problem = build_problem(territory.segments, segment_values, teams, done=done, forbidden=forbidden,
                            locked={int(k): v for k, v in locks.items()}, **options)
    plan = baseline_plan(problem, seed=args.seed) if args.baseline else plan_walks(problem, time_limit_s=args.time_limit, seed=args.seed, on_progress=progress)
    check = check_plan(problem, plan)
    save_plan(plan, teams, territory, out, units=problem.units)
    print(plan.summary())
    print(f"{problem.n_segments} blocks and buildings from {len(territory.segments)} street segments; "
          f"doors out of reach (a block longer than every session): {problem.doors_out_of_reach():.0f}")
    print("check: OK, every figure recomputed from the streets" if check.ok else "check FAILED:\n  " + "\n  ".join(check.violations))
    print(f"plan written to {out}", file=sys.stderr)
    return 0 if check.ok else 3


def _held_back_segments(experiment: str | None, territory) -> set[int]:
    """Segments of the bureaux an impact experiment holds back (canvass experiment): never canvassed."""
    if not experiment:
        return set()
    from canvass.scores.experiment import Assignment

    held_back = Assignment.read(Path(experiment)).held_back_ids
    segments = territory.segments
    print(f"experiment: {len(held_back)} bureaux held back, their streets are left out", file=sys.stderr)
    return set(segments.loc[segments["bureau_id"].isin(held_back), "segment_id"].astype(int))


def _plan_sessions(args, territory, segment_values, teams, done, forbidden, options, out: Path, progress) -> int:
    """canvass plan --sessions: several sessions planned at once on what is left, one plan file each."""
    from canvass.plan.calendar import plan_calendar, read_sessions
    from canvass.plan.io import save_plan

    sessions = read_sessions(Path(args.sessions), teams=teams, addresses=territory.addresses)
    calendar = plan_calendar(territory, segment_values, sessions, done=done, forbidden=forbidden, meeting_places=args.suggest_meeting_places,
                             problem_options=options, time_limit_s=args.time_limit, seed=args.seed, on_progress=progress)
    print(calendar.table().to_string(index=False))
    for number, item in enumerate(calendar.sessions, start=1):
        path = out.with_name(f"{out.stem}_seance{number}{out.suffix}")
        save_plan(item.plan, list(item.session.teams), territory, path)
        print(f"session {number}: plan written to {path}", file=sys.stderr)
    return 0


def _demo_inputs(folder: Path, progress) -> tuple[Path, Path, Path]:
    """Make (or reuse) the demo's territory, scores and teams, as canvass demo and canvass score would."""
    from canvass.demo import DEMO_COMMUNE, write_demo
    from canvass.scores.camps import Camp
    from canvass.scores.score import score_territory, write_scores
    from canvass.scores.strategies import ScoreParams
    from canvass.territory.build import build_territory
    from canvass.territory.io import save_territory

    territory_path, scores_path = folder / "territory.gpkg", folder / "scores.gpkg"
    if not territory_path.exists():
        progress(0.0, f"writing the demo commune to {folder}")
        write_demo(folder)
        save_territory(build_territory(folder, [DEMO_COMMUNE], on_progress=progress), territory_path)
    from canvass.territory.io import load_territory

    territory = load_territory(territory_path)
    write_scores(score_territory(territory, ScoreParams(strategy="mobilisation", camp=Camp(("gauche",)))), territory, scores_path)
    return territory_path, scores_path, folder / "equipes.csv"


def _cmd_export(args: argparse.Namespace) -> int:
    import pyogrio

    from canvass.outputs.export import export_bundle
    from canvass.plan.io import load_plan
    from canvass.territory.io import load_territory

    plan_path = Path(args.plan)
    plan, teams, walks = load_plan(plan_path)
    territory = load_territory(Path(args.territory)) if args.territory else None
    scores = pyogrio.read_dataframe(args.scores, layer="bureau_scores", read_geometry=False) if args.scores else None
    bundle = export_bundle(plan, teams, walks, Path(args.out), territory=territory, bureau_scores=scores, base_url=args.base_url,
                           field_api=args.field_api, session=args.session, on_progress=_ProgressPrinter(args.quiet))
    for item in bundle.links.values():
        print(f"{item['team']}: {item['link']}")
    print(f"bundle written in {bundle.seconds:.1f} s: serve {bundle.public} at {args.base_url} (canvass serve {bundle.folder}); "
          f"keep {bundle.private} for yourself (open index.html)", file=sys.stderr)
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    """The public team pages and the field API on one port (put it behind HTTPS: deploy/Caddyfile)."""
    import os

    from canvass.serve.run import serve

    location = args.store or os.environ.get("DATABASE_URL") or "data/campagne.sqlite"
    print(f"serving {Path(args.folder) / 'public'} and the field API on http://{args.host}:{args.port} (campaign {args.campaign!r})",
          file=sys.stderr)
    serve(args.folder, database=location, campaign=args.campaign, host=args.host, port=args.port)
    return 0


class _ProgressBar:
    """A progress bar over communes on stderr: redrawn in place on a terminal, one line per tenth otherwise."""

    def __init__(self, quiet: bool = False, width: int = 30):
        self.quiet, self.width = quiet, width
        self.start = time.perf_counter()
        self.tty = sys.stderr.isatty()
        self.shown = -1

    def __call__(self, fraction: float, message: str) -> None:
        if self.quiet or (not self.tty and int(fraction * 10) == self.shown and fraction < 1):
            return
        self.shown = int(fraction * 10)
        filled = int(round(fraction * self.width))
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {fraction:4.0%} {message} ({time.perf_counter() - self.start:.0f} s)"
        print(f"\r{line[:150]:150}" if self.tty else line, end="\n" if not self.tty or fraction >= 1 else "", file=sys.stderr, flush=True)


def _cmd_batch(args: argparse.Namespace) -> int:
    from canvass.batch import BatchSettings, TeamsRule, run_batch, teams_by_commune

    if args.teams and args.teams_rule:
        raise CanvassError("give --teams or --teams-rule, not both")
    args.strategy = args.strategy or ("mobilisation" if args.camp else "turnout")
    settings = BatchSettings(
        score=_score_params(args),
        rule=TeamsRule.parse(args.teams_rule) if args.teams_rule else TeamsRule(),
        teams=teams_by_commune(Path(args.teams), args.commune) if args.teams else None,
        time_limit_s=args.time_limit,
        seed=args.seed,
    )
    result = run_batch(Path(args.data), args.commune, Path(args.out), settings, workers=args.workers, scheduler=args.scheduler,
                       on_progress=_ProgressBar(args.quiet))
    summary = result.summary
    failed = summary[(summary["erreurs"] != "") & (summary["erreurs"] != "pas de rues : plan impossible")]
    no_streets = int((summary["erreurs"] == "pas de rues : plan impossible").sum())
    print(f"{len(summary)} communes: {len(summary) - len(failed) - no_streets} planned, {no_streets} without streets (built and scored, no plan), "
          f"{len(failed)} failed; {len(result.skipped)} finished by an earlier run were skipped")
    for row in failed.itertuples():
        print(f"  {row.commune}: {row.erreurs}")
    print(f"summary written to {result.summary_path} in {result.seconds:.1f} s", file=sys.stderr)
    return 0 if failed.empty else 1


def _cmd_field(args: argparse.Namespace) -> int:
    store, campaign = _open_campaign(args)
    with store:
        if args.action == "import":
            if not args.csv:
                raise CanvassError("canvass field import needs the CSV file")
            store.import_field_csv(campaign, Path(args.csv), session=args.session or Path(args.csv).stem, author=args.author)
            print(f"imported {args.csv}")
        elif args.action == "done":
            import pandas as pd

            done = sorted(store.done_segments(campaign))
            pd.DataFrame({"segment_id": done}).to_csv(args.out or sys.stdout, index=False)
            print(f"{len(done)} segments done", file=sys.stderr)
        else:
            from canvass.field.log import progress_by_team
            from canvass.plan.io import load_plan

            if not args.plan:
                raise CanvassError("canvass field progress needs --plan PLAN.gpkg")
            plan, _, _ = load_plan(Path(args.plan))
            print(progress_by_team(store.field_log(campaign), plan).to_string())
    return 0


def _cmd_campaign(args: argparse.Namespace) -> int:
    """Create a campaign in the store; its password comes from CANVASS_PASSWORD, never from the command line."""
    import os

    from canvass.campaign.store import open_store

    password = os.environ.get("CANVASS_PASSWORD")
    if not password:
        raise CanvassError("set the campaign password in the CANVASS_PASSWORD environment variable (it is stored hashed)")
    location = args.store or os.environ.get("DATABASE_URL") or "data/campagne.sqlite"
    with open_store(location) as store:
        if store.find_campaign(args.campaign) is not None:
            print(f"campaign {args.campaign!r} already exists in {location}")
            return 0
        store.create_campaign(args.campaign, password, author=args.author)
    print(f"campaign {args.campaign!r} created in {location}")
    return 0

def _open_campaign(args: argparse.Namespace):
    """The campaign store named by --store (else DATABASE_URL, else data/campagne.sqlite) and the campaign --campaign in it."""
    import os

    from canvass.campaign.store import open_store

    location = args.store or os.environ.get("DATABASE_URL") or "data/campagne.sqlite"
    store = open_store(location)
    campaign = store.find_campaign(args.campaign)
    if campaign is None:
        known = ", ".join(c.name for c in store.campaigns()) or "none"
        store.close()
        raise CanvassError(f"no campaign {args.campaign!r} in {location}; campaigns: {known} (create one in the app, or with canvass campaign)")
    return store, campaign


def _cmd_purge(args: argparse.Namespace) -> int:
    from datetime import date

    from canvass.campaign.purge import purge, purge_campaign

    store, campaign = _open_campaign(args)
    with store:
        if args.everything:
            if args.confirm != campaign.name:
                raise CanvassError(f"--everything deletes the whole campaign {campaign.name!r} (documents, history, field log): "
                                   f"confirm with --confirm {campaign.name!r}")
            deleted = purge_campaign(store, campaign)
            print(f"campaign {campaign.name!r} deleted: " + ", ".join(f"{count} {table}" for table, count in deleted.items()))
            return 0
        if not args.before:
            raise CanvassError("canvass purge needs --before YYYY-MM-DD (field log entries before that day) or --everything")
        try:
            before = date.fromisoformat(args.before)
        except ValueError as error:
            raise CanvassError(f"--before expects a date as YYYY-MM-DD, got {args.before!r}") from error
        print(f"{purge(store, campaign, before=before)} field log entries recorded before {before} (Paris time) deleted")
    return 0


def _cmd_registre(args: argparse.Namespace) -> int:
    from canvass._atomic import write_atomic
    from canvass.campaign.registre import TO_FILL, processing_record, record_html, record_markdown

    store, campaign = _open_campaign(args)
    with store:
        sections = processing_record(store, campaign, controller=args.controller or TO_FILL, contact=args.contact or TO_FILL,
                                     host=args.host or TO_FILL)
    text = record_html(sections) if args.out and Path(args.out).suffix.lower() in (".html", ".htm") else record_markdown(sections)
    if args.out:
        write_atomic(args.out, text)
        print(f"processing record written to {args.out}", file=sys.stderr)
    else:
        print(text)
    return 0


def _add_score_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("territory", help="territory GeoPackage written by canvass build")
    parser.add_argument("--strategy", default="mobilisation", choices=["mobilisation", "persuasion", "turnout", "custom"])
    parser.add_argument("--camp", action="append", default=[], metavar="SELECTORS",
                        help="our camp: a family (gauche, ecologistes, centre, droite, extreme_droite, divers), nuance codes or candidate names, "
                             "comma-separated; ELECTION=SELECTORS for one election (repeat)")
    parser.add_argument("--decay", type=float, default=0.5, help="weight of each older election relative to the next (default 0.5)")
    parser.add_argument("--round", type=int, help="round to read in every election (default: each election's first round present)")
    parser.add_argument("--weights", help="custom strategy weights, e.g. mobilisation=1,persuasion=1,turnout=0")
    parser.add_argument("--min-registered", type=int, default=50, help="suppress figures on fewer registered voters (default 50)")
    parser.add_argument("--model", default="plain", choices=["plain", "shrunk"],
                        help="rates of the elections as they were (plain) or forecast for the next ballot, pooled over rounds and neighbours (shrunk)")
    parser.add_argument("--upcoming", help="with --model shrunk: the ballot to forecast, e.g. 2026_muni_t1 or legi (default: the next of the latest type)")


def _add_fetch_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--elections", nargs="+", metavar="ELECTION",
                        help="elections to fetch, e.g. 2022_pres 2024_legi_t1 (default: the last présidentielle, législatives, européennes, municipales)")
    parser.add_argument("--offline", action="store_true", help="use the download cache only")
    parser.add_argument("--catalogue", help="TOML catalogue of sources to use instead of the packaged one (also: CANVASS_CATALOGUE)")
    parser.add_argument("--cache", help="download cache folder (default: CANVASS_CACHE, else ~/.cache/canvass)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="canvass", description="Door-to-door canvassing planner: official open data to street plans.")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="generate the demo commune, build its territory and print the report")
    demo.add_argument("--data", default="data/demo", help="folder for the demo's official files (default: data/demo)")
    demo.add_argument("--out", help="territory file (default: DATA/territory.gpkg)")
    demo.add_argument("--seed", type=int, default=0, help="random seed of the demo commune (default: 0)")
    demo.set_defaults(handler=_cmd_demo)

    build = commands.add_parser("build", help="build a territory from a folder of official files")
    build.add_argument("folder", nargs="?", help="folder holding the commune's files (kinds are detected); with --fetch, where to fetch them")
    build.add_argument("--commune", action="append", required=True, help="INSEE code (repeat for several); Paris arrondissement codes such as 75116 work")
    build.add_argument("--out", help="territory GeoPackage to write (with --fetch, default CODE.gpkg)")
    build.add_argument("--fetch", action="store_true", help="download the commune's official files first (into FOLDER, else a per-commune cache folder)")
    _add_fetch_options(build)
    build.add_argument("--file", action="append", default=[], metavar="KIND=PATH", help="force a file's kind (e.g. results:mi2022=res.txt, ignore=old.geojson)")
    build.add_argument("--json", action="store_true", help="print the report as JSON")
    build.set_defaults(handler=_cmd_build)

    fetch = commands.add_parser("fetch", help="download a commune's official open data into a folder for canvass build")
    fetch.add_argument("--commune", required=True, help="INSEE code (29019, 75116) or name (Brest); an ambiguous name lists the candidates")
    fetch.add_argument("--out", required=True, help="folder to write the files into")
    _add_fetch_options(fetch)
    fetch.set_defaults(handler=_cmd_fetch)

    score = commands.add_parser("score", help="score the bureaux and streets of a territory")
    _add_score_options(score)
    score.add_argument("--elections", nargs="+", help="elections to use (default: all)")
    score.add_argument("--census-weight", type=float, default=0.0, help="share of the census-predicted camp share in the mobilisation score (0-1)")
    score.add_argument("--seed", type=int, default=0, help="seed of the census model's cross-validation")
    score.add_argument("--top", type=int, default=15, help="bureaux to print (default 15)")
    score.add_argument("--out", required=True, help="scores file: .csv, .geojson (WGS84) or .gpkg (bureaux and segments)")
    score.set_defaults(handler=_cmd_score)

    back = commands.add_parser("backtest", help="score from one election and check against a later one")
    _add_score_options(back)
    back.add_argument("--from", dest="source", required=True, help="election to score from, e.g. 2022_legi")
    back.add_argument("--to", dest="target", required=True, help="later election to check against, e.g. 2024_legi")
    back.add_argument("--out", help="CSV of the figures")
    back.add_argument("--seed", type=int, default=0, help="seed of the bootstrap and of the census prior's folds")
    back.set_defaults(handler=_cmd_backtest)

    experiment = commands.add_parser("experiment", help="hold back target bureaux at random before the campaign; --evaluate after the election")
    _add_score_options(experiment)
    experiment.add_argument("--seed", type=int, help="seed of the draw, required to draw (write it down: it reproduces the assignment)")
    experiment.add_argument("--share", type=float, default=0.2, help="share of each priority stratum held back (default 0.2)")
    experiment.add_argument("--strata", type=int, default=4, help="priority strata (default 4)")
    experiment.add_argument("--top", type=int, help="only the TOP best bureaux are targets (default: all scored)")
    experiment.add_argument("--evaluate", metavar="EXPERIMENT.json", help="evaluate this assignment on the territory's new results")
    experiment.add_argument("--election", help="with --evaluate: the election held after the campaign, e.g. 2026_muni")
    experiment.add_argument("--out", help="assignment JSON to write (default experiment.json); with --evaluate, CSV of the effects")
    experiment.set_defaults(handler=_cmd_experiment)

    plan = commands.add_parser("plan", help="assign streets to teams and order each walk")
    plan.add_argument("territory", nargs="?", help="territory GeoPackage written by canvass build")
    plan.add_argument("--scores", help="scores GeoPackage written by canvass score (.gpkg)")
    plan.add_argument("--teams", help="teams CSV: name, size, lat/lon or address, minutes, speed_kmh, minutes_per_door")
    plan.add_argument("--out", help="plan GeoPackage to write")
    plan.add_argument("--demo", action="store_true", help="plan the demo commune with its ten teams")
    plan.add_argument("--data", default="data/demo", help="demo folder (with --demo)")
    plan.add_argument("--time-limit", type=float, default=30.0, help="seconds of search (default 30)")
    plan.add_argument("--seed", type=int, default=0)
    plan.add_argument("--done", help="segments already canvassed: CSV with segment_id, or ids separated by commas")
    plan.add_argument("--forbid", help="segments not to canvass: CSV with segment_id, or ids separated by commas")
    plan.add_argument("--lock", action="append", default=[], metavar="SEGMENT=TEAM", help="keep a segment for one team (repeat)")
    plan.add_argument("--suggest-meeting-places", type=int, metavar="N",
                      help="choose N meeting places (polling places, addresses, crossroads) that reach the most value, and share the teams among them")
    plan.add_argument("--sessions", help="calendar CSV (date, heure, equipes: a number of teams or a teams file): plan every session on what is left")
    plan.add_argument("--experiment", help="assignment JSON written by canvass experiment: its held-back bureaux are not canvassed")
    plan.add_argument("--baseline", action="store_true", help="equal-door turfs and nearest-street walks, for comparison")
    plan.set_defaults(handler=_cmd_plan)

    export = commands.add_parser("export", help="write the maps, walk sheets, booklet and index of a plan")
    export.add_argument("plan", help="plan GeoPackage written by canvass plan")
    export.add_argument("--out", required=True, help="folder to write: OUT/public is served as is (HTTPS), OUT/organisateur is yours only")
    export.add_argument("--base-url", required=True,
                        help="https:// address where OUT/public will be served (http://localhost… for a test); QR codes point to "
                             "BASE_URL/<token>.html. With canvass serve behind deploy/Caddyfile: https://YOUR.DOMAIN/equipes")
    export.add_argument("--field-api", help="base URL the team pages post field results to (default: api/terrain/ beside the pages, "
                                            "as canvass serve answers)")
    export.add_argument("--territory", help="territory GeoPackage (grey streets on the maps, bureaux on the overview)")
    export.add_argument("--scores", help="scores GeoPackage (priorities on the overview)")
    export.add_argument("--session", default="", help="session label printed on the sheets, e.g. 'samedi 14 mars, 10 h'")
    export.set_defaults(handler=_cmd_export)

    serve = commands.add_parser("serve", help="serve an export's team pages and take field results from phones (behind HTTPS)")
    serve.add_argument("folder", help="export folder written by canvass export --out")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: the reverse proxy's side)")
    serve.add_argument("--port", type=int, default=8502, help="port (default 8502, as deploy/Caddyfile expects)")
    serve.set_defaults(handler=_cmd_serve)

    field = commands.add_parser("field", help="the field log: import a CSV, list streets done, progress per team")
    field.add_argument("action", choices=["import", "done", "progress"])
    field.add_argument("csv", nargs="?", help="with import: CSV (equipe, segment_id, portes_frappees, portes_ouvertes, outcomes)")
    field.add_argument("--campaign", default="demo", help="campaign name (default: demo)")
    field.add_argument("--store", help="campaign store: SQLite file or postgresql:// URL (default: DATABASE_URL, else data/campagne.sqlite)")
    field.add_argument("--session", help="with import: session label (default: the file name)")
    field.add_argument("--author", default="cli", help="who records it (kept in the history)")
    field.add_argument("--plan", help="with progress: the plan GeoPackage")
    field.add_argument("--out", help="with done: CSV to write (for canvass plan --done)")
    field.set_defaults(handler=_cmd_field)

    batch = commands.add_parser("batch", help="build, score and plan many communes at once over Dask (a département, France)")
    batch.add_argument("data", help="folder of official files (read whole), or a folder of such folders (one per commune or département)")
    batch.add_argument("--commune", nargs="+", action="extend", required=True, metavar="CODE",
                       help="INSEE commune, arrondissement or département codes (04 plans every commune of the département)")
    batch.add_argument("--out", required=True, help="output folder: one folder per commune and synthese.csv")
    batch.add_argument("--workers", type=int, default=2, help="Dask worker processes of the local cluster, one thread each (0: serial; default 2)")
    batch.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786) instead of a local cluster")
    batch.add_argument("--teams-rule", help="teams per commune, e.g. taille=2,inscrits=1000,minutes=120 (the default), meeting at the polling places")
    batch.add_argument("--teams", help="teams CSV with a commune column (and the columns of canvass plan --teams)")
    batch.add_argument("--time-limit", type=float, default=10.0, help="seconds of plan search per commune (0: greedy start only, exactly reproducible; default 10)")
    batch.add_argument("--seed", type=int, default=0)
    batch.add_argument("--strategy", choices=["mobilisation", "persuasion", "turnout", "custom"],
                       help="scoring strategy (default: mobilisation with --camp, else turnout)")
    batch.add_argument("--camp", action="append", default=[], metavar="SELECTORS", help="our camp, as in canvass score")
    batch.add_argument("--decay", type=float, default=0.5, help="weight of each older election relative to the next (default 0.5)")
    batch.add_argument("--round", type=int, help="round to read in every election (default: each election's first round present)")
    batch.add_argument("--weights", help="custom strategy weights, e.g. mobilisation=1,persuasion=1,turnout=0")
    batch.add_argument("--min-registered", type=int, default=50, help="suppress figures on fewer registered voters (default 50)")
    batch.set_defaults(handler=_cmd_batch)

    campaign = commands.add_parser("campaign", help="create a campaign in the store (password from CANVASS_PASSWORD)")
    campaign.add_argument("action", choices=["create"])
    campaign.add_argument("--author", default="cli", help="who creates it (kept in the history)")
    campaign.set_defaults(handler=_cmd_campaign)

    purge = commands.add_parser("purge", help="data protection: delete the field log before a date, or a whole campaign")
    purge.add_argument("--before", metavar="YYYY-MM-DD", help="delete the field log entries recorded before this day")
    purge.add_argument("--everything", action="store_true", help="delete the whole campaign: documents, history, field log")
    purge.add_argument("--confirm", metavar="NAME", help="with --everything: the campaign name again")
    purge.set_defaults(handler=_cmd_purge)

    registre = commands.add_parser("registre", help="write the processing record (registre des traitements, in French)")
    registre.add_argument("--out", help="file to write: .md (Markdown) or .html; default: print Markdown")
    registre.add_argument("--controller", help="the organisation responsible (printed in the record)")
    registre.add_argument("--contact", help="where people exercise their rights (e-mail or address)")
    registre.add_argument("--host", help="who hosts the data")
    registre.set_defaults(handler=_cmd_registre)
    for command in (campaign, purge, registre, serve):
        command.add_argument("--campaign", default="demo", help="campaign name (default: demo)")
        command.add_argument("--store", help="campaign store: SQLite file or postgresql:// URL (default: DATABASE_URL, else data/campagne.sqlite)")

    report = commands.add_parser("report", help="print the report of a territory file")
    report.add_argument("territory", help="territory GeoPackage written by canvass build")
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.set_defaults(handler=_cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; errors in the data print a clear message and exit with status 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.handler(args)
    except CanvassError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
