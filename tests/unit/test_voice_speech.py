"""Rendering calls to WAV: house format, chime, repeats, recorded clips first, espeak-ng for the rest."""

from __future__ import annotations

import shutil
import unicodedata
import wave
from pathlib import Path

import pytest

from firmware.voice import wavio
from firmware.voice.numbers import call_sentence
from firmware.voice.speech import EspeakNg, SpeechError, Voice, clip_name, tokens

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)"
)
SENTENCE = call_sentence("A025", 3)


class RecordingSynth:
    """A synthesiser that writes a tone of 0.1 s per word and records the phrases it was given."""

    def __init__(self) -> None:
        self.phrases: list[str] = []

    def available(self) -> bool:
        return True

    def synthesize(self, text: str, out_path: Path) -> None:
        self.phrases.append(text)
        wavio.write_pcm(out_path, wavio.tone(300, 0.1 * len(text.split())))


def make_clip(folder: Path, word: str, seconds: float, *, rate: int = 22050, channels: int = 1, width: int = 2) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with wave.open(str(folder / clip_name(word)), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(bytes(int(seconds * rate) * channels * width))


def params(path: Path) -> tuple[int, int, int]:
    with wave.open(str(path), "rb") as w:
        return w.getframerate(), w.getnchannels(), w.getsampwidth()


def test_tokens_are_lower_case_nfc_words_and_pauses() -> None:
    nfd = unicodedata.normalize("NFD", "Kính mời, quầy số ba.")
    assert tokens(nfd) == ["kính", "mời", ",", "quầy", "số", "ba", "."]


def test_all_clips_present_uses_no_synthesiser(tmp_path: Path) -> None:
    clips, synth = tmp_path / "clips", RecordingSynth()
    words = [t for t in tokens(SENTENCE) if t[0].isalnum()]
    for word in set(words):
        make_clip(clips, word, 0.2)
    voice = Voice(clips, repeats=1, chime=False, gap_seconds=0, pause_seconds=0, synthesizer=synth)
    report = voice.render(SENTENCE, tmp_path / "out.wav")
    assert synth.phrases == [] and report.synthesized == []
    assert report.from_clips == words
    assert report.seconds == pytest.approx(0.2 * len(words), abs=0.01)
    assert params(report.path) == (22050, 1, 2)


def test_missing_words_go_to_the_synthesiser_as_phrases(tmp_path: Path) -> None:
    clips, synth = tmp_path / "clips", RecordingSynth()
    for word in ("kính", "mời", "quầy", "số"):
        make_clip(clips, word, 0.5)
    voice = Voice(clips, repeats=1, chime=False, gap_seconds=0, pause_seconds=0, synthesizer=synth)
    report = voice.render("Kính mời công dân đến quầy số ba", tmp_path / "out.wav")
    assert sorted(synth.phrases) == ["ba", "công dân đến"]  # synthesised side by side
    assert report.synthesized == ["công", "dân", "đến", "ba"]
    assert report.from_clips == ["kính", "mời", "quầy", "số"]
    assert report.seconds == pytest.approx(4 * 0.5 + 4 * 0.1, abs=0.01)


def test_phrases_come_back_in_their_place_and_from_the_cache(tmp_path: Path) -> None:
    synth = RecordingSynth()
    voice = Voice(repeats=1, chime=False, gap_seconds=0, pause_seconds=0.5, synthesizer=synth)
    first = voice.render("một hai, ba, bốn năm sáu", tmp_path / "1.wav")
    assert first.seconds == pytest.approx(6 * 0.1 + 2 * 0.5, abs=0.01)
    pause = wavio.silence(0.5)
    words = [wavio.tone(300, 0.1 * n) for n in (2, 1, 3)]  # "một hai", "ba", "bốn năm sáu": order kept
    assert wavio.read_pcm(first.path) == pause.join(words)
    voice.render("một hai, bảy, bốn năm sáu", tmp_path / "2.wav")
    assert sorted(synth.phrases) == ["ba", "bảy", "bốn năm sáu", "một hai"]  # the repeated phrases: cached


def test_clips_in_other_formats_are_converted(tmp_path: Path) -> None:
    clips = tmp_path / "clips"
    make_clip(clips, "một", 0.5, rate=44100, channels=2)
    make_clip(clips, "hai", 0.25, rate=8000, width=1)
    make_clip(clips, unicodedata.normalize("NFD", "mười"), 0.25, rate=16000)  # a Mac's file name
    voice = Voice(clips, repeats=1, chime=False, pause_seconds=0, synthesizer=RecordingSynth())
    report = voice.render("một hai mười", tmp_path / "out.wav")
    assert report.synthesized == []
    assert params(report.path) == (22050, 1, 2)
    assert report.seconds == pytest.approx(1.0, abs=0.01)


def test_repeats_chime_and_gap(tmp_path: Path) -> None:
    clips = tmp_path / "clips"
    make_clip(clips, "ba", 1.0)
    once = Voice(clips, repeats=1, chime=False, gap_seconds=0.5).render("ba", tmp_path / "1.wav")
    twice = Voice(clips, repeats=2, chime=False, gap_seconds=0.5).render("ba", tmp_path / "2.wav")
    chimed = Voice(clips, repeats=2, chime=True, gap_seconds=0.5).render("ba", tmp_path / "3.wav")
    assert once.seconds == pytest.approx(1.0, abs=0.01)
    assert twice.seconds == pytest.approx(2.5, abs=0.01)
    assert chimed.seconds == pytest.approx(2.5 + wavio.duration_of(wavio.chime()), abs=0.01)


def test_no_clip_and_no_synthesiser_names_the_words(tmp_path: Path) -> None:
    voice = Voice(synthesizer=EspeakNg(program="no-such-espeak"))
    with pytest.raises(SpeechError, match="quầy số"):
        voice.render("quầy số", tmp_path / "out.wav")


def test_missing_clip_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SpeechError, match="does not exist"):
        Voice(tmp_path / "nowhere")


@needs_espeak
def test_espeak_renders_the_whole_call(tmp_path: Path) -> None:
    report = Voice().render(SENTENCE, tmp_path / "call.wav")
    assert params(report.path) == (22050, 1, 2)
    assert 3.0 < report.seconds < 30.0
    assert report.from_clips == [] and "quầy" in report.synthesized


@needs_espeak
def test_twice_is_about_twice_as_long(tmp_path: Path) -> None:
    once = Voice(repeats=1, chime=False, gap_seconds=0.7).render(SENTENCE, tmp_path / "1.wav")
    twice = Voice(repeats=2, chime=False, gap_seconds=0.7).render(SENTENCE, tmp_path / "2.wav")
    assert twice.seconds == pytest.approx(2 * once.seconds + 0.7, abs=0.05)


@needs_espeak
def test_espeak_fills_in_only_the_missing_words(tmp_path: Path) -> None:
    clips = tmp_path / "clips"
    for word in ("kính", "mời", "công", "dân", "có", "số", "thứ", "tự", "đến", "quầy"):
        make_clip(clips, word, 0.3)
    report = Voice(clips, repeats=1, chime=False).render(SENTENCE, tmp_path / "call.wav")
    assert report.synthesized == ["a", "hai", "mươi", "lăm", "ba"]
    assert len(report.from_clips) == 11  # "số" twice
    assert report.seconds > 11 * 0.3
