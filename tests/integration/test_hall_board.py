"""The hall board against a real embedded office: issue and call through DeviceLinks, the board shows and speaks."""

from __future__ import annotations

from pathlib import Path

from firmware.display.board_model import HallBoardModel
from firmware.hall_board import HallBoard
from firmware.voice import wavio
from firmware.voice.announcer import Announcer, Call, FakePlayer
from firmware.voice.speech import Rendered
from queue_server.bench.office import OfficeUnderTest
from queue_server.brokers.process import free_port
from queue_server.config import load_settings
from tests.fakes import wait_until


class FakeVoice:
    """Writes a short silent WAV per sentence and records the sentences."""

    def __init__(self) -> None:
        self.sentences: list[str] = []

    def render(self, sentence: str, out_path: Path, **style: object) -> Rendered:
        self.sentences.append(sentence)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        wavio.write_pcm(out_path, wavio.silence(0.05))
        return Rendered(out_path, 0.05)


def test_calls_and_recalls_reach_the_board_and_the_speaker_in_order(tmp_path: Path) -> None:
    office = OfficeUnderTest(tmp_path / "office", port=free_port(), broker_kind="embedded")
    office.provision({"kiosk-1": ("kiosk", None), "counter-1": ("counter", "quay-1"), "board-1": ("display", None)})
    services = {s.id: s.name_vi for s in load_settings().services}
    model = HallBoardModel(office.office_id, services)
    player, voice = FakePlayer(seconds=0.1), FakeVoice()
    office.start_server()
    try:
        with Announcer(voice, player, work_dir=tmp_path / "wav") as announcer:
            hall = HallBoard(model, announcer)
            board = office.link("board-1", on_state=hall.on_state, state_topics=model.state_topics())
            with board, office.link("kiosk-1") as kiosk, office.link("counter-1") as counter:
                assert board.wait_connected(10) and kiosk.wait_connected(10) and counter.wait_connected(10)
                wait_until(lambda: model.primed)
                for _ in range(2):
                    issued = kiosk.request("issue_ticket", {"service_id": "ho-tich"})
                    assert issued is not None and issued["ok"], issued
                wait_until(lambda: dict(hall.tick(board.connected).waiting).get("Hộ tịch") == 2)
                called = counter.request("call_next", {"counter_id": "quay-1"})
                assert called is not None and called["result"]["ticket"]["label"] == "A001"
                wait_until(lambda: bool(hall.tick(board.connected).calls))
                view = hall.tick(board.connected)
                assert view.banner is None
                assert (view.calls[0].label, view.calls[0].counter_number) == ("A001", 1)
                assert view.calls[0].highlighted and view.calls[0].flashing
                wait_until(lambda: any(r.label == "A001" for r in hall.tick(board.connected).counters))
                recalled = counter.request("recall", {"counter_id": "quay-1"})
                assert recalled is not None and recalled["ok"], recalled
                counter.request("finish", {"counter_id": "quay-1", "outcome": "done"})
                called = counter.request("call_next", {"counter_id": "quay-1"})
                assert called is not None and called["result"]["ticket"]["label"] == "A002"
                assert announcer.wait_idle(10)
                wait_until(lambda: len(announcer.spoken) == 3)
                assert announcer.spoken == [Call("A001", 1), Call("A001", 1), Call("A002", 1)]
                assert len(player.played) == 3
                assert "quầy số một" in voice.sentences[0]
                view = hall.tick(board.connected)
                assert [(c.label, c.current) for c in view.calls] == [("A002", True), ("A001", False)]
            # the board's own link closed: the board says so at once, and shows nothing as current
            view = hall.tick(board.connected)
            assert view.banner is not None and not any(c.current for c in view.calls)
    finally:
        office.stop_server()
