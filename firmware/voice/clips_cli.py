"""``motcua voice clips check DIR`` and ``motcua voice clips build DIR``: a clip set checked, or made from espeak-ng.

Also runs on a board without the server's command line: ``python -m firmware.voice.clips_cli clips check DIR``.

* ``check`` prints one line per clip (length, format, RMS and peak level, problems) and the words a call may
  need that no clip covers; exit status 1 if anything is wrong, so an install script can stop on it.
* ``build`` makes the whole set for the call template and the number words from espeak-ng (the same bytes for the
  same espeak-ng version), levelled to one loudness and trimmed; then checks it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from firmware.voice.language import vietnamese
from firmware.voice.numbers import DEFAULT_TEMPLATE


def add_parser(sub: Any) -> None:
    """Add ``voice clips check|build`` to a parent's subcommands."""
    voice = sub.add_parser("voice", help="the hall board's voice: clip sets").add_subparsers(
        dest="voice_cmd", required=True
    )
    clips = voice.add_parser("clips", help="clip sets (docs/voice.md)").add_subparsers(dest="clips_cmd", required=True)
    check = clips.add_parser("check", help="check a clip set: missing words, format, level; prints a table")
    build = clips.add_parser("build", help="make a Vietnamese clip set from espeak-ng (reproducible), then check it")
    for p in (check, build):
        p.add_argument("folder", type=Path)
        p.add_argument("--template", default=DEFAULT_TEMPLATE, help="the call sentence ({ticket}, {counter})")
    build.add_argument("--espeak-voice", default="vi", help="espeak-ng voice (vi, vi-vn-x-south, ...)")
    check.set_defaults(func=cmd_check)
    build.set_defaults(func=cmd_build)


def cmd_check(args: argparse.Namespace) -> int:
    from hardware.audio.clip_check import check_clip_set, table
    from hardware.audio.clipset import ClipSet
    from hardware.audio.espeak import SpeechError

    try:
        clip_set = ClipSet.load(args.folder)
    except SpeechError as exc:
        print(f"motcua: {exc}", file=sys.stderr)
        return 2
    report = check_clip_set(clip_set, vietnamese(args.template).needed_clips())
    print(table(report))
    return 0 if report.ok else 1


def cmd_build(args: argparse.Namespace) -> int:
    from hardware.audio.clip_build import build_clip_set
    from hardware.audio.espeak import EspeakNg, SpeechError

    language = vietnamese(args.template, espeak_voice=args.espeak_voice)
    try:
        clip_set = build_clip_set(args.folder, language.needed_clips(), synthesizer=EspeakNg(voice=args.espeak_voice))
    except SpeechError as exc:
        print(f"motcua: {exc}", file=sys.stderr)
        return 2
    print(f"{len(clip_set.clips)} clips written to {args.folder} ({clip_set.made_with})")
    return cmd_check(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="firmware.voice.clips_cli")
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser(sub)
    args = parser.parse_args(["voice", *(argv if argv is not None else sys.argv[1:])])
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
