"""``motcua forecast check``: the forecast's measured accuracy on an event log (docs/forecast.md).

Reads a JSON Lines export (``--events FILE``, e.g. a simulated day from ``motcua simulate``) or the office's own
store, replays it, and prints the forecast's figures beside the old constant-rate estimate's
(``queue_server.forecast.check``). Nothing personal is printed: only counts, minutes and shares.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from queue_server.engine.events import Event
from queue_server.forecast.check import check, table


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    forecast = sub.add_parser("forecast", help="the wait forecast").add_subparsers(dest="forecast_cmd", required=True)
    checker = forecast.add_parser("check", help="replay an event log: the forecast's accuracy beside the old estimate")
    checker.add_argument("--events", type=Path, default=None, help="a JSON Lines event log (default: the office db)")
    checker.set_defaults(func=cmd_forecast_check)


def _jsonl(path: Path) -> Iterator[Event]:
    from queue_server.store.jsonl import JsonlError, record_from_dict

    with path.open(encoding="utf-8") as fp:
        for number, line in enumerate(fp, start=1):
            if not line.strip():
                continue
            try:
                yield record_from_dict(json.loads(line)).event
            except (ValueError, TypeError, KeyError) as exc:
                raise JsonlError(number, str(exc)) from exc


def cmd_forecast_check(args: argparse.Namespace) -> int:
    from queue_server.store.jsonl import JsonlError

    try:
        if args.events is not None:
            accuracy = check(_jsonl(args.events))
        else:
            from queue_server.app import open_store
            from queue_server.cli import _settings

            store = open_store(_settings(args))
            try:
                accuracy = check(stored.event for stored in store.events())
            finally:
                store.close()
    except (OSError, JsonlError) as exc:
        print(f"motcua forecast check: {exc}", file=sys.stderr)
        return 2
    print(table(accuracy))
    goal = "met" if accuracy.meets_goal() else "NOT met"
    print(f"goal (median |error| <= max(3 min, 20 % of the median wait), >= 80 % inside the range): {goal}")
    return 0 if accuracy.forecast.tickets else 1
