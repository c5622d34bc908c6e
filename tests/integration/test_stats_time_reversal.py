"""A log whose events go back in time (a clock set back across a restart, before stamps were floored): waits
are never negative, and the statistics refuse the period and say why (``motcua stats``, the dashboard)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from queue_server.analytics.current import office_report
from queue_server.analytics.reversals import PeriodRefused
from queue_server.analytics.visits import fold
from queue_server.cli import main
from queue_server.config import load_settings
from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.decide import decide
from queue_server.engine.state import QueueState
from queue_server.store.event_store import Commit, EventStore
from queue_server.store.web_users import Role, create_user
from queue_server.web import create_app
from tests.integration.web_support import FAST_HASH, PASSWORD, login

DAY = date(2026, 11, 23)
AT_10 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 local


def hand_built_log(store: EventStore) -> list[ev.Event]:
    """Setup, A001 issued at 10:00, then the server restarted with its clock 2 h behind: called at 08:00."""
    setup = load_settings().office_setup()
    ids = (f"t{i:015d}" for i in itertools.count())
    state, events = QueueState(), []
    for command, at in (
        (cmd.ConfigureOffice(setup), AT_10 - timedelta(hours=3)),
        (cmd.IssueTicket("ho-tich"), AT_10),
        (cmd.IssueTicket("ho-tich"), AT_10 + timedelta(minutes=1)),
        (cmd.CallNext("quay-1"), AT_10 - timedelta(hours=2)),  # the clock went back 2 h
    ):
        for event in decide(state, command, at, lambda: next(ids)):
            state.apply(event)
            events.append(event)
    store.commit([Commit(None, None, events, {})])
    return events


@pytest.fixture
def store(tmp_path: Path) -> EventStore:
    store = EventStore(f"sqlite:///{tmp_path}/office.db", "tuan-giao")
    store.migrate()
    return store


def test_waits_are_never_negative_and_the_reversal_is_found(store: EventStore) -> None:
    events = hand_built_log(store)
    history = fold(events, load_settings().office_setup())
    waits = [w.seconds for v in history.visits.values() for w in v.waits]
    assert waits == [0.0]  # not -7,200 s
    assert len(history.reversals) == 1 and history.reversals[0][1] - history.reversals[0][0] > timedelta(hours=1)
    store.close()


def test_the_period_is_refused_with_the_reason(store: EventStore, capsys: pytest.CaptureFixture[str]) -> None:
    hand_built_log(store)
    setup = load_settings().office_setup()
    with pytest.raises(PeriodRefused, match="go back in time") as refused:
        office_report(store, setup, DAY, DAY)
    assert refused.value.days == (DAY,) and round(refused.value.minutes) == 121
    office_report(store, setup, DAY + timedelta(days=1), DAY + timedelta(days=1))  # other days still have figures
    url = store.engine.url.render_as_string(hide_password=False)
    store.close()
    config = Path(url.removeprefix("sqlite:///")).with_name("motcua.toml")
    config.write_text(f'[store]\nurl = "{url}"\n[server]\ndata_dir = "{config.parent}/data"\n')
    assert main(["--config", str(config), "stats", "--from", DAY.isoformat()]) == 2
    err = capsys.readouterr().err
    assert "motcua stats: no figures: the events of 2026-11-23 go back in time" in err


def test_the_dashboard_shows_the_reason_instead_of_figures(store: EventStore) -> None:
    hand_built_log(store)
    create_user(store.engine, "boss", PASSWORD, Role.MANAGER, office_id="tuan-giao", password_method=FAST_HASH)
    app = create_app({"TESTING": True, "SECRET_KEY": "t"}, store=store, setup=load_settings().office_setup())
    client: FlaskClient = app.test_client()
    login(client, "boss")
    page = client.get(f"/dashboard?period=day&date={DAY.isoformat()}")
    assert page.status_code == 409
    text = page.get_data(as_text=True)
    assert "Không có số liệu cho kỳ này" in text and "23/11/2026 bị lùi thời gian" in text
    assert "−" not in text and "Đạt" not in text
    store.close()
