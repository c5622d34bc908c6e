"""``motcua plan``: the fewest counters per hour for a day profile (a file, or learned from the history)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from queue_server.config import load_settings
from queue_server.planner.plan import Goal, mean_wait_target, plan_day
from queue_server.planner.report import format_text, plan_document
from queue_server.simulate.cli import add_profile_arguments, profile_from_args
from queue_server.simulate.profile import ProfileError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    plan = sub.add_parser("plan", help="the fewest counters per hour that meet the wait targets (simulated)")
    add_profile_arguments(plan)
    plan.add_argument("--target", type=float, default=None, help="mean wait target, minutes (default: the office's)")
    plan.add_argument("--p90", type=float, default=None, help="90th percentile threshold, minutes ([planner])")
    plan.add_argument("--max-counters", type=int, default=None, help="counters at most in an hour ([planner])")
    plan.add_argument("--days", type=int, default=None, help="seeded days simulated per staffing tried ([planner])")
    plan.add_argument("--seed", default="plan", help="seed of the simulated days")
    plan.add_argument("--format", choices=["text", "xlsx", "pdf", "csv"], default="text")
    plan.add_argument("--lang", choices=["vi", "en"], default="vi")
    plan.add_argument("--output", "-o", type=Path, default=None, help="file to write (needed for xlsx and pdf)")
    plan.set_defaults(func=cmd_plan)


def goal_from(args: argparse.Namespace) -> Goal:
    settings = load_settings(args.config)
    planner = settings.planner
    return Goal(
        mean_wait_seconds=args.target * 60 if args.target else mean_wait_target(settings.office_targets()),
        p90_wait_seconds=(args.p90 or planner.p90_wait_minutes) * 60,
        max_counters=args.max_counters or planner.max_counters,
        days=args.days or planner.days_per_candidate,
        seed=args.seed,
    )


def cmd_plan(args: argparse.Namespace) -> int:
    from queue_server.reports.formats import render
    from queue_server.reports.text import language

    if args.format in ("xlsx", "pdf") and args.output is None:
        print(f"motcua: --format {args.format} needs --output FILE", file=sys.stderr)
        return 2
    try:
        profile = profile_from_args(args)
    except ProfileError as exc:
        print(f"motcua: {exc}", file=sys.stderr)
        return 2
    plan = plan_day(profile, goal_from(args))
    document = plan_document(plan, language(args.lang))
    if args.format == "text":
        text = format_text(document) + "\n"
        if args.output is None:
            sys.stdout.write(text)
        else:
            args.output.write_text(text, encoding="utf-8")
    else:
        data = render(document, args.format)
        if args.output is None:
            sys.stdout.buffer.write(data)
        else:
            args.output.write_bytes(data)
    return 0 if plan.meets else 1
