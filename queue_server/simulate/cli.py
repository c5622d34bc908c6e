"""``motcua simulate``: simulate office days from a profile (or an office's history) and write their log."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from queue_server.simulate.day import run_days
from queue_server.simulate.figures import format_run
from queue_server.simulate.output import stored_events, write_jsonl, write_store
from queue_server.simulate.profile import DayProfile, ProfileError, load_profile


def add_profile_arguments(parser: argparse.ArgumentParser) -> None:
    """The day profile: a file, or learned from an event history (shared by ``simulate`` and ``plan``)."""
    parser.add_argument("--profile", type=Path, default=None, help="day profile (TOML, docs/simulate.md)")
    parser.add_argument(
        "--learn-from", default=None, help="learn the profile from an event log: a database URL or a JSON Lines file"
    )
    parser.add_argument("--office", default=None, help="the office whose log to learn from (a database URL)")
    parser.add_argument("--from", dest="start", default=None, help="first local day to learn from, YYYY-MM-DD")
    parser.add_argument("--to", dest="end", default=None, help="last local day to learn from, inclusive")


def profile_from_args(args: argparse.Namespace) -> DayProfile:
    if args.learn_from is not None:
        from queue_server.simulate.learn import learn_from_source

        return learn_from_source(args.learn_from, args.office, args.start, args.end)
    return load_profile(args.profile)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    simulate = sub.add_parser(
        "simulate", help="simulate office days on the real engine; write their event log, print their figures"
    )
    add_profile_arguments(simulate)
    simulate.add_argument("--seed", default="0", help="random seed: the same seed gives the same events")
    simulate.add_argument("--days", type=int, default=1, help="working days to simulate (from the profile's date)")
    simulate.add_argument(
        "--remote-share", type=float, default=0.0, help="share of citizens who book from the web (0..1, e.g. 0.3)"
    )
    simulate.add_argument("--db", default=None, help="write the events into this store (SQLite path or URL)")
    simulate.add_argument("--output", "-o", default=None, help="write the events as JSON Lines ('-': stdout)")
    simulate.set_defaults(func=cmd_simulate)


def _seed(text: str) -> int | str:
    return int(text) if text.lstrip("-").isdigit() else text


def store_url(db: str) -> str:
    return db if "://" in db else f"sqlite:///{Path(db).resolve()}"


def cmd_simulate(args: argparse.Namespace) -> int:
    try:
        profile = profile_from_args(args)
    except ProfileError as exc:
        print(f"motcua: {exc}", file=sys.stderr)
        return 2
    if args.days < 1:
        print("motcua: --days must be at least 1", file=sys.stderr)
        return 2
    if not 0 <= args.remote_share <= 1:
        print("motcua: --remote-share must be between 0 and 1", file=sys.stderr)
        return 2
    seed = _seed(args.seed)
    run = run_days(profile, seed, args.days, remote_share=args.remote_share)
    records = stored_events(run.events, profile.setup.office_id, seed)
    report = sys.stderr if args.output == "-" else sys.stdout
    if args.output == "-":
        write_jsonl(records, sys.stdout)
    elif args.output is not None:
        with open(args.output, "w", encoding="utf-8") as fp:
            write_jsonl(records, fp)
        print(f"{len(records)} sự kiện / events → {args.output}", file=report)
    if args.db is not None:
        added = write_store(store_url(args.db), records, profile.setup.office_id)
        print(f"{added} sự kiện mới / new events → {args.db}", file=report)
    print(format_run(run), file=report)
    if args.remote_share > 0:
        from queue_server.simulate.remote_day import format_remote

        print(format_remote(run.visits), file=report)
    return 0
