"""The audio queue: one sound at a time, in order, none dropped; a recall is spoken again."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from firmware.voice import wavio
from firmware.voice.announcer import Announcer, FakePlayer
from firmware.voice.speech import Rendered


class FakeVoice:
    """Writes a tiny WAV per sentence and records the sentences, so the test can read back what was said."""

    def __init__(self) -> None:
        self.sentences: dict[Path, str] = {}
        self.styles: dict[Path, dict[str, object]] = {}
        self.renders = 0

    def render(self, sentence: str, out_path: Path, **style: object) -> Rendered:
        wavio.write_pcm(out_path, wavio.silence(0.01))
        self.sentences[out_path] = sentence
        self.styles[out_path] = style
        self.renders += 1
        return Rendered(out_path, 0.01)


def said(voice: FakeVoice, player: FakePlayer) -> list[str]:
    return [voice.sentences[p] for p in player.played]


def test_a_burst_of_calls_is_spoken_in_order_one_at_a_time(tmp_path: Path) -> None:
    voice, player = FakeVoice(), FakePlayer(seconds=0.005)
    with Announcer(voice, player, work_dir=tmp_path) as announcer:
        callers = [
            threading.Thread(target=announcer.announce, args=(f"A{n:03d}", n % 5 + 1)) for n in range(1, 6)
        ]  # calls from several threads at once, as button callbacks and MQTT callbacks arrive
        for t in callers:
            t.start()
            t.join()
        for n in range(6, 31):
            announcer.announce(f"A{n:03d}", n % 5 + 1)
        assert announcer.wait_idle(30)
    assert len(player.played) == 30
    assert [c.label for c in announcer.spoken] == [f"A{n:03d}" for n in range(1, 31)]
    assert said(voice, player)[0] == "Kính mời công dân có số thứ tự a, một, đến quầy số hai."


def test_overlap_would_be_caught_by_the_fake() -> None:
    player = FakePlayer(seconds=0.2)
    wav = Path(__file__)  # any existing file
    first = threading.Thread(target=player.play, args=(wav,))
    first.start()
    threading.Event().wait(0.05)
    with pytest.raises(AssertionError, match="overlapping"):
        player.play(wav)
    first.join()


def test_recall_is_said_again_from_the_same_file(tmp_path: Path) -> None:
    voice, player = FakeVoice(), FakePlayer()
    with Announcer(voice, player, work_dir=tmp_path, backlog="keep") as announcer:
        announcer.announce("A025", 3)
        announcer.announce("B001", 1)
        announcer.recall("A025", 3)
        assert announcer.wait_idle(10)
    assert said(voice, player) == [
        "Kính mời công dân có số thứ tự a, hai mươi lăm, đến quầy số ba.",
        "Kính mời công dân có số thứ tự bê, một, đến quầy số một.",
        "Kính mời công dân có số thứ tự a, hai mươi lăm, đến quầy số ba.",
    ]
    assert voice.renders == 2 and player.played[0] == player.played[2]


def test_a_failing_call_does_not_stop_the_queue(tmp_path: Path) -> None:
    voice, player = FakeVoice(), FakePlayer()
    with Announcer(voice, player, work_dir=tmp_path) as announcer:
        announcer.announce("A?1", 1)  # not a label: logged, skipped
        announcer.announce("A002", 1)
        assert announcer.wait_idle(10)
    assert [c.label for c in announcer.spoken] == ["A002"]


def test_close_speaks_what_is_queued_then_refuses(tmp_path: Path) -> None:
    voice, player = FakeVoice(), FakePlayer(seconds=0.01)
    announcer = Announcer(voice, player, work_dir=tmp_path)
    for n in range(5):
        announcer.announce(f"C{n}", 2)
    announcer.close()
    announcer.close()  # idempotent
    assert len(player.played) == 5
    with pytest.raises(RuntimeError):
        announcer.announce("C9", 2)


def test_old_renderings_are_deleted(tmp_path: Path) -> None:
    voice, player = FakeVoice(), FakePlayer()
    with Announcer(voice, player, work_dir=tmp_path) as announcer:
        for n in range(40):
            announcer.announce(f"A{n}", 1)
        assert announcer.wait_idle(10)
    assert len(list(tmp_path.glob("*.wav"))) == 16


class GatedPlayer(FakePlayer):
    """Holds the first sound until ``release`` is set: the test queues a backlog behind it, deterministically."""

    def __init__(self) -> None:
        super().__init__()
        self.started, self.release = threading.Event(), threading.Event()

    def play(self, wav_path: Path) -> None:
        self.started.set()
        self.release.wait(10)
        super().play(wav_path)


def test_a_backlog_drops_the_repeats_and_chimes_once(tmp_path: Path) -> None:
    voice, player = FakeVoice(), GatedPlayer()
    with Announcer(voice, player, work_dir=tmp_path, repeats=2) as announcer:
        announcer.announce("A001", 1)
        assert player.started.wait(10)  # A001's first saying plays; four more calls arrive meanwhile
        for n in range(2, 6):
            announcer.announce(f"A{n:03d}", n)
        assert announcer.backlog_size == 4
        player.release.set()
        assert announcer.wait_idle(10)
    said_as = [(voice.sentences[p].split(" a, ")[1][:4], voice.styles[p]) for p in player.played]
    once = {"repeats": 1, "lead_gap": False}
    assert said_as == [
        ("một,", {**once, "chime": None}),  # began in silence: chimed; its repeat dropped (others wait)
        ("hai,", {**once, "chime": False}),  # a run said back to back: no chime, no repeat
        ("ba, ", {**once, "chime": False}),
        ("bốn,", {**once, "chime": False}),
        ("năm,", {**once, "chime": False}),
        ("năm,", {"repeats": 1, "chime": False, "lead_gap": True}),  # nobody waits any more: repeated
    ]
    assert [c.label for c in announcer.spoken] == ["A001", "A002", "A003", "A004", "A005"]
    assert (announcer.dropped_repeats, announcer.unchimed) == (4, 4)


def test_a_lone_call_is_said_in_full(tmp_path: Path) -> None:
    voice, player = FakeVoice(), FakePlayer()
    with Announcer(voice, player, work_dir=tmp_path, repeats=3) as announcer:
        announcer.announce("A001", 1)
        assert announcer.wait_idle(10)
    assert [voice.styles[p].get("lead_gap") for p in player.played] == [False, True, True]
    assert voice.styles[player.played[0]]["chime"] is None and announcer.dropped_repeats == 0


def test_a_duplicate_still_queued_is_merged_into_the_first(tmp_path: Path) -> None:
    voice, player = FakeVoice(), GatedPlayer()
    with Announcer(voice, player, work_dir=tmp_path) as announcer:
        announcer.announce("B007", 2)
        assert player.started.wait(10)
        announcer.announce("A025", 3)
        announcer.announce("B001", 1)
        announcer.recall("A025", 3)  # pressed again before the first was said
        announcer.announce("A025", 4)  # another counter: a different call, kept
        player.release.set()
        assert announcer.wait_idle(10)
    assert [(c.label, c.counter_number) for c in announcer.spoken] == [
        ("B007", 2), ("A025", 3), ("B001", 1), ("A025", 4)
    ]  # fmt: skip
    assert [(c.label, c.counter_number) for c in announcer.merged] == [("A025", 3)]


def test_keep_says_every_call_in_full(tmp_path: Path) -> None:
    voice, player = FakeVoice(), GatedPlayer()
    with Announcer(voice, player, work_dir=tmp_path, backlog="keep") as announcer:
        announcer.announce("A001", 1)
        assert player.started.wait(10)
        announcer.announce("A001", 1)
        announcer.announce("A002", 1)
        player.release.set()
        assert announcer.wait_idle(10)
    assert len(player.played) == 3 and all(voice.styles[p] == {} for p in player.played)
