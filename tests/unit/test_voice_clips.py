"""Clip sets: built from espeak-ng reproducibly and levelled, checked for missing words, format and level, and
used by the board before espeak-ng (phrases first)."""

from __future__ import annotations

import hashlib
import shutil
import wave
from pathlib import Path

import pytest

from firmware.voice.clips_cli import main as clips_main
from firmware.voice.language import VIETNAMESE
from firmware.voice.speech import Voice
from hardware.audio import levels, wavio
from hardware.audio.clip_build import build_clip_set
from hardware.audio.clip_check import check_clip_set, table
from hardware.audio.clipset import CHIME, ClipSet

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


class ToneSynth:
    """A synthesiser writing a tone per text, its loudness varying with the text, with silence around it."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def available(self) -> bool:
        return True

    def synthesize(self, text: str, out_path: Path) -> None:
        self.texts.append(text)
        volume = 0.05 + 0.5 * (len(text) % 7) / 7
        frames = wavio.silence(0.3) + wavio.tone(440, 0.1 * len(text.split()), volume=volume) + wavio.silence(0.3)
        wavio.write_pcm(out_path, frames)

    def describe(self) -> str:
        return "tone synth"


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


def test_a_built_set_is_levelled_trimmed_complete_and_checks_clean(tmp_path: Path) -> None:
    synth = ToneSynth()
    clip_set = build_clip_set(tmp_path / "vi", VIETNAMESE.needed_clips(), synthesizer=synth)
    assert sorted(synth.texts) == VIETNAMESE.needed_clips()
    report = check_clip_set(ClipSet.load(tmp_path / "vi"), VIETNAMESE.needed_clips())
    assert report.ok, table(report)
    rms = [r.rms_dbfs for r in report.rows if r.key != CHIME]
    assert max(rms) - min(rms) < 0.5  # the synthesiser's 10 dB spread is gone
    hai = wavio.duration(clip_set.clips["hai"])
    assert hai == pytest.approx(0.1 + 2 * 0.03, abs=0.01)  # 0.6 s of silence trimmed to 30 ms each side


def test_the_same_input_gives_the_same_bytes(tmp_path: Path) -> None:
    words = ["kính mời công dân có số thứ tự", "đến quầy số", "hai", "mươi", "lăm"]
    build_clip_set(tmp_path / "a", words, synthesizer=ToneSynth())
    build_clip_set(tmp_path / "b", list(reversed(words)), synthesizer=ToneSynth(), workers=1)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


@needs_espeak
def test_espeak_set_is_reproducible_and_a_call_needs_no_synthesis(tmp_path: Path) -> None:
    assert clips_main(["clips", "build", str(tmp_path / "one")]) == 0
    assert clips_main(["clips", "build", str(tmp_path / "two")]) == 0
    assert digest(tmp_path / "one") == digest(tmp_path / "two")
    voice = Voice(tmp_path / "one")
    report = voice.render(VIETNAMESE.sentence("B107", 12), tmp_path / "call.wav")
    assert report.synthesized == []
    assert report.from_clips[:7] == ["kính", "mời", "công", "dân", "có", "số", "thứ"]


def write(path: Path, frames: bytes, *, rate: int = 22050, channels: int = 1) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)


def test_check_reports_missing_words_format_and_level(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "recorded"
    speech = wavio.tone(300, 0.4, volume=0.12)
    for word in ("hai", "ba", "mươi"):
        write(folder / f"{word}.wav", speech)
    write(folder / "bốn.wav", wavio.tone(300, 0.4, volume=0.9))  # far louder than the rest, near clipping
    write(folder / "năm.wav", speech * 2, channels=2)  # stereo
    write(folder / "sáu.wav", wavio.tone(300, 0.4, volume=0.003))  # almost silent
    report = check_clip_set(ClipSet.load(folder), ["hai", "ba", "bốn", "năm", "sáu", "mươi", "quầy"])
    problems = {r.key: r.problems for r in report.rows if not r.ok}
    assert report.missing == ["quầy"] and not report.ok
    assert set(problems) == {"bốn", "năm", "sáu"}
    assert any("from the set's median" in p for p in problems["bốn"])
    assert "not mono" in problems["năm"]
    assert problems["sáu"]
    assert clips_main(["clips", "check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "MISSING" in out and "kính mời công dân có số thứ tự" in out


def test_phrase_clips_win_over_words_and_the_rest_is_synthesised(tmp_path: Path) -> None:
    folder = tmp_path / "set"
    for key, seconds in (("đến quầy số", 0.5), ("đến", 0.2), ("quầy", 0.2), ("số", 0.2), ("ba", 0.2)):
        write(folder / f"{key}.wav", wavio.tone(300, seconds, volume=0.1))
    synth = ToneSynth()
    voice = Voice(folder, repeats=1, chime=False, pause_seconds=0, synthesizer=synth)
    report = voice.render("Công dân đến quầy số ba.", tmp_path / "out.wav")
    assert synth.texts == ["công dân"]
    assert report.from_clips == ["đến", "quầy", "số", "ba"]
    assert report.seconds == pytest.approx(0.6 + 0.2 + 0.5 + 0.2, abs=0.01)  # the phrase clip, not three words


def test_normalise_never_clips() -> None:
    quiet_with_spike = wavio.tone(300, 0.5, volume=0.01) + wavio.tone(300, 0.01, volume=0.9)
    louder = levels.normalise(quiet_with_spike, -10.0)
    assert levels.level(louder).peak_dbfs <= -0.9


@needs_espeak
def test_the_board_makes_its_clip_set_at_first_start_and_calls_from_it(tmp_path: Path) -> None:
    from firmware.device_config import VoiceConfig

    voice = VoiceConfig(clips_dir=tmp_path / "vi", repeats=1, chime=False).voice()
    assert (tmp_path / "vi" / "clips.toml").is_file()
    report = voice.render(VIETNAMESE.sentence("C042", 7), tmp_path / "call.wav")
    assert report.synthesized == [] and "bảy" in report.from_clips
