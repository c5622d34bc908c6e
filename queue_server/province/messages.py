"""Payloads of the gap-fill exchange between the province ingest and an office server (docs/province.md).

A resend request says "send me your events after seq N"; the office answers by republishing them on its
``events`` topic and then a replay report naming which seqs exist in the span it covered, so the province can
tell a lost message from a seq the office never used (a PostgreSQL sequence skips values on rollback).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from queue_server.contract.errors import MotcuaError

VERSION = 1
MAX_PAYLOAD_BYTES = 64 * 1024


class PayloadError(MotcuaError, ValueError):
    """A gap-fill message is not valid; the message says why."""


@dataclass(frozen=True)
class ResendRequest:
    after_seq: int


@dataclass(frozen=True)
class ReplayReport:
    """The office republished every event with ``after_seq < seq <= through_seq``; those seqs are ``present``."""

    after_seq: int
    through_seq: int
    present: tuple[tuple[int, int], ...]
    """Inclusive ranges of the seqs that exist in that span, ascending."""
    more: bool
    """True when the office stopped at its batch limit: ask again from ``through_seq``."""


def seq_ranges(seqs: Iterable[int]) -> list[tuple[int, int]]:
    """Ascending seqs as inclusive ranges: ``[3, 4, 5, 9]`` → ``[(3, 5), (9, 9)]``."""
    ranges: list[tuple[int, int]] = []
    for seq in seqs:
        if ranges and seq == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], seq)
        else:
            ranges.append((seq, seq))
    return ranges


def encode_request(request: ResendRequest) -> bytes:
    return _dump({"v": VERSION, "after_seq": request.after_seq})


def encode_report(report: ReplayReport) -> bytes:
    return _dump(
        {
            "v": VERSION,
            "after_seq": report.after_seq,
            "through_seq": report.through_seq,
            "present": [list(r) for r in report.present],
            "more": report.more,
        }
    )


def parse_request(payload: bytes) -> ResendRequest:
    data = _load(payload, {"v", "after_seq"})
    return ResendRequest(_seq(data, "after_seq"))


def parse_report(payload: bytes) -> ReplayReport:
    data = _load(payload, {"v", "after_seq", "through_seq", "present", "more"})
    after, through = _seq(data, "after_seq"), _seq(data, "through_seq")
    if through < after:
        raise PayloadError(f"through_seq {through} is before after_seq {after}")
    if not isinstance(data["more"], bool):
        raise PayloadError("more must be true or false")
    present = data["present"]
    if not isinstance(present, list):
        raise PayloadError("present must be a list of [first, last] seq ranges")
    ranges: list[tuple[int, int]] = []
    floor = after
    for item in present:
        if not (isinstance(item, list) and len(item) == 2 and all(_is_seq(v) for v in item)):
            raise PayloadError(f"bad seq range {item!r}")
        first, last = item
        if not floor < first <= last <= through:
            raise PayloadError(f"seq range {item!r} is not ascending within ({after}, {through}]")
        ranges.append((first, last))
        floor = last
    return ReplayReport(after, through, tuple(ranges), data["more"])


def _dump(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


def _load(payload: bytes, fields: set[str]) -> dict[str, Any]:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"payload of {len(payload)} bytes is over {MAX_PAYLOAD_BYTES}")
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PayloadError("expected a JSON object")
    if data.get("v") != VERSION:
        raise PayloadError(f"unsupported version {data.get('v')!r} (expected {VERSION})")
    if set(data) != fields:
        raise PayloadError(f"expected exactly the fields {sorted(fields)}, got {sorted(data)}")
    return data


def _is_seq(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _seq(data: dict[str, Any], name: str) -> int:
    value = data[name]
    if not _is_seq(value):
        raise PayloadError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)
