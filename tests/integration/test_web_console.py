"""The staff console and the public ticket page, on a real office service and SQLite store."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.state import QueueState, TicketStatus
from queue_server.store.web_users import Role, create_user
from queue_server.web import create_app
from tests.integration.web_support import FAST_HASH, PASSWORD, Office, login, make_app, post


def test_console_shows_the_ticket_in_service_at_the_users_counter(office: Office, client: FlaskClient) -> None:
    office.run(cmd.IssueTicket("ho-tich"))
    office.run(cmd.IssueTicket("ho-tich"))
    office.run(cmd.CallNext("quay-2"))  # hung's counter takes A001
    login(client, "lan")
    page = client.get("/console").get_data(as_text=True)
    assert "Quầy 1" in page and "Chưa có số nào đang phục vụ." in page and "A001" not in page
    office.run(cmd.CallNext("quay-1"))
    assert "A002" in client.get("/console").get_data(as_text=True)
    login(client, "hung")
    page = client.get("/console").get_data(as_text=True)
    assert "Quầy 2" in page and "A001" in page and "A002" not in page


def test_next_calls_execute_with_call_next_for_the_users_counter_only(office: Office, client: FlaskClient) -> None:
    office.run(cmd.IssueTicket("ho-tich"))
    login(client, "lan")
    response = post(client, "/console/next", {"counter_id": "quay-2"})  # a forged counter is ignored
    assert response.status_code == 302
    assert office.sent == [cmd.CallNext("quay-1")]
    assert "A001" in client.get("/console").get_data(as_text=True)
    called = [s.event for s in office.store.events() if isinstance(s.event, ev.TicketCalled)]
    assert [(e.counter_id, e.segment) for e in called] == [("quay-1", 1)]


def test_sign_in_recall_skip_and_finish_with_outcome_and_dossier_code(office: Office, client: FlaskClient) -> None:
    office.run(cmd.IssueTicket("ho-tich"))
    office.run(cmd.IssueTicket("ho-tich"))
    login(client, "lan")
    for action in ("sign_in", "next", "recall", "skip", "next"):
        assert post(client, f"/console/{action}").status_code == 302
    post(client, "/console/finish", {"outcome": "dossier_received", "dossier_code": " HS-2026-001 "})
    assert office.sent == [
        cmd.SignIn("quay-1", "nv-lan"),
        cmd.CallNext("quay-1"),
        cmd.Recall("quay-1"),
        cmd.SkipTicket("quay-1"),
        cmd.CallNext("quay-1"),
        cmd.FinishService("quay-1", ev.Outcome.DOSSIER_RECEIVED, "HS-2026-001"),
    ]
    [finished] = [s.event for s in office.store.events() if isinstance(s.event, ev.ServiceFinished)]
    assert (finished.staff_id, finished.dossier_code) == ("nv-lan", "HS-2026-001")


def test_a_refused_command_is_shown_and_a_bad_outcome_is_rejected(office: Office, client: FlaskClient) -> None:
    login(client, "lan")
    post(client, "/console/recall")  # nothing to recall
    assert "Không thực hiện được" in client.get("/console").get_data(as_text=True)
    assert post(client, "/console/finish", {"outcome": "bribed"}).status_code == 400
    assert post(client, "/console/launch").status_code == 404
    assert office.sent == [cmd.Recall("quay-1")]


def test_console_without_a_server_link_says_so(office: Office) -> None:
    client = make_app(office, connected=False).test_client()
    login(client, "lan")
    assert post(client, "/console/next").status_code == 503
    assert office.sent == []


def test_ticket_page_shows_number_people_ahead_and_counter_but_nothing_personal(
    office: Office, client: FlaskClient
) -> None:
    first = office.run(cmd.IssueTicket("ho-tich"))["result"]["ticket"]["ticket_id"]
    second = office.run(cmd.IssueTicket("ho-tich"))["result"]["ticket"]["ticket_id"]
    third = office.run(cmd.IssueTicket("ho-tich", priority="pregnant"))["result"]["ticket"]["ticket_id"]
    assert len(first) == 16
    page = client.get(f"/t/{third}").get_data(as_text=True)
    assert "A003" in page and "Số người đang chờ trước bạn: 2" in page
    office.run(cmd.SignIn("quay-1", "nv-lan"))
    office.run(cmd.CallNext("quay-1"))
    page = client.get(f"/t/{first}").get_data(as_text=True)
    assert "A001" in page and "Mời bạn đến quầy 1" in page
    assert "People ahead of you: 0" in client.get(f"/t/{second}?lang=en").get_data(as_text=True)
    for ticket_id in (first, third):
        page = client.get(f"/t/{ticket_id}").get_data(as_text=True)
        for private in ("pregnant", "nv-lan", "Nguyễn Thị Lan", "ưu tiên", "Đăng xuất"):
            assert private not in page


def test_ticket_page_unknown_or_malformed_ids_are_not_found(client: FlaskClient) -> None:
    assert client.get("/t/tk99999999999999").status_code == 404
    assert client.get("/t/1").status_code == 404
    assert client.get("/t/../../etc/passwd").status_code == 404


def test_ticket_page_is_rate_limited_per_client(office: Office) -> None:
    app: Flask = make_app(office, TICKET_PAGE_PER_MINUTE=3)
    client = app.test_client()
    codes = [client.get("/t/tk99999999999999").status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]
    other = client.get("/t/tk99999999999999", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 404


QUEUED = re.compile(r'<li data-ticket="([^"]+)">(.*?)</li>', re.S)


@pytest.fixture
def clocked(office: Office) -> FlaskClient:
    """A client of the web app inside the server: it reads the service's own live view, on the test clock."""
    config = {"TESTING": True, "SECRET_KEY": "test-secret"}
    app = create_app(config, store=office.store, setup=office.setup, execute=office.execute, live=office.service.live)
    return app.test_client()


def _issue(office: Office, service_id: str, priority: str | None = None) -> str:
    label: str = office.run(cmd.IssueTicket(service_id, priority=priority))["result"]["ticket"]["label"]
    return label


def _queue(client: FlaskClient) -> list[tuple[str, str]]:
    return QUEUED.findall(client.get("/console").get_data(as_text=True))


def test_transfer_moves_the_ticket_in_service_to_the_other_services_queue(office: Office, clocked: FlaskClient) -> None:
    label = _issue(office, "ho-tich")
    office.run(cmd.SignIn("quay-1", "nv-lan"))
    login(clocked, "lan")
    post(clocked, "/console/next")
    page = clocked.get("/console").get_data(as_text=True)
    form = page[page.index('id="transfer"') : page.index("</form>", page.index('id="transfer"'))]
    assert 'value="dat-dai"' in form and 'value="ho-tich"' not in form  # the other services only
    assert post(clocked, "/console/transfer", {"to_service_id": "dat-dai", "counter_id": "quay-2"}).status_code == 302
    assert office.sent[-1] == cmd.Transfer("quay-1", to_service_id="dat-dai")
    state = QueueState.replay(s.event for s in office.store.events())
    [ticket] = [t for t in state.tickets.values() if t.label == label]
    assert (ticket.service_id, ticket.status) == ("dat-dai", TicketStatus.WAITING)
    assert [q.label for q in office.service.live.queue("quay-3")] == [label]
    assert office.service.live.queue("quay-1") == ()
    assert "Chưa có số nào đang phục vụ." in clocked.get("/console").get_data(as_text=True)


def test_transfer_to_an_unknown_service_is_rejected_and_a_refusal_is_explained(
    office: Office, clocked: FlaskClient
) -> None:
    login(clocked, "lan")
    assert post(clocked, "/console/transfer", {"to_service_id": "xay-dung"}).status_code == 400
    post(clocked, "/console/transfer", {"to_service_id": "dat-dai"})  # nothing in service
    page = clocked.get("/console").get_data(as_text=True)
    assert "Không thực hiện được: Quầy này không có số nào đang phục vụ." in page
    assert office.sent == [cmd.Transfer("quay-1", to_service_id="dat-dai")]


def test_pause_refuses_next_in_vietnamese_until_resume(office: Office, clocked: FlaskClient) -> None:
    label = _issue(office, "ho-tich")
    login(clocked, "lan")
    post(clocked, "/console/pause", {"counter_id": "quay-2"})
    page = clocked.get("/console").get_data(as_text=True)
    assert 'id="pause-state" data-paused="yes"' in page and "Tiếp tục" in page
    post(clocked, "/console/next")
    page = clocked.get("/console").get_data(as_text=True)
    assert "Không thực hiện được: Quầy đang tạm dừng; hãy bấm Tiếp tục trước." in page
    post(clocked, "/console/resume")
    assert 'id="pause-state" data-paused="no"' in clocked.get("/console").get_data(as_text=True)
    post(clocked, "/console/next")
    assert office.sent == [
        cmd.PauseCounter("quay-1"),
        cmd.CallNext("quay-1"),
        cmd.ResumeCounter("quay-1"),
        cmd.CallNext("quay-1"),
    ]
    kinds = [type(s.event) for s in office.store.events()]
    assert kinds.index(ev.CounterPaused) < kinds.index(ev.CounterResumed) < kinds.index(ev.TicketCalled)
    assert kinds.count(ev.TicketCalled) == 1
    assert office.service.state.counters["quay-1"].serving_ticket_id is not None
    assert label in clocked.get("/console").get_data(as_text=True)


def test_queue_lists_my_services_in_the_engines_calling_order_with_waits(office: Office, clocked: FlaskClient) -> None:
    normals = [_issue(office, "ho-tich") for _ in range(4)]
    office.clock.advance(120)
    other_line = _issue(office, "chung-thuc")
    elsewhere = _issue(office, "dat-dai")  # quay-1 does not serve land
    office.clock.advance(60)
    urgent = _issue(office, "ho-tich", priority="elderly_60")
    office.run(cmd.CallNext("quay-1"))
    office.run(cmd.CallNext("quay-1"))  # two normal ones: under the default interleave policy the priority is next
    office.clock.advance(240)
    login(clocked, "lan")
    queue = _queue(clocked)
    labels = [label for label, _ in queue]
    assert labels == [urgent, normals[2], normals[3], other_line]
    assert elsewhere not in labels
    assert "Ưu tiên" in queue[0][1] and "4 phút" in queue[0][1]
    assert "Ưu tiên" not in queue[1][1] and "7 phút" in queue[1][1]
    called = []
    for _ in labels:  # the engine agrees: repeated calls take them in the listed order
        office.run(cmd.CallNext("quay-1"))
        serving = office.service.state.counters["quay-1"].serving_ticket_id
        called.append(office.service.state.tickets[serving or ""].label)
    assert called == labels
    assert _queue(clocked) == []


def test_my_figures_for_a_hand_built_day(office: Office, clocked: FlaskClient) -> None:
    office.run(cmd.SignIn("quay-1", "nv-lan"))
    _issue(office, "ho-tich")
    office.clock.advance(5 * 60)
    login(clocked, "lan")
    post(clocked, "/console/next")
    office.clock.advance(10 * 60)
    post(clocked, "/console/finish", {"outcome": "dossier_received", "dossier_code": "HS-1"})
    office.run(cmd.RateService("quay-1", "satisfied"))
    page = clocked.get("/console").get_data(as_text=True)
    figures = dict(re.findall(r'<dd id="(my-[a-z]+)">([^<]*)</dd>', page))
    assert figures == {
        "my-served": "1",
        "my-service": "10,0",
        "my-wait": "5,0",
        "my-satisfied": "100,0 %",
        "my-dossiers": "1",
    }
    login(clocked, "hung")
    page = clocked.get("/console").get_data(as_text=True)
    assert 'id="my-served"' not in page and "Hôm nay chưa phục vụ lượt nào." in page


def test_staff_without_a_counter_of_this_office_cannot_act(office: Office, clocked: FlaskClient) -> None:
    create_user(
        office.store.engine,
        "lost",
        PASSWORD,
        password_method=FAST_HASH,
        role=Role.STAFF,
        counter_id="quay-9",
        staff_id="nv-lan",
    )
    login(clocked, "lost")
    for action in ("pause", "transfer", "next"):
        assert post(clocked, f"/console/{action}", {"to_service_id": "dat-dai"}).status_code == 403
    assert clocked.get("/console").status_code == 403
    assert office.sent == []


def test_the_masked_name_is_on_the_console_of_the_serving_counter_only(office: Office, client: FlaskClient) -> None:
    name = "Nguyễn V. A."
    ticket_id = office.run(cmd.IssueTicket("ho-tich", "elderly_60", display_name=name))["result"]["ticket"]["ticket_id"]
    office.run(cmd.CallNext("quay-1"))
    login(client, "lan")
    page = client.get("/console").get_data(as_text=True)
    assert re.search(r'id="serving-name">Nguyễn V\. A\.<', page), "under the number on lan's console"
    assert "Nguyễn" not in client.get(f"/t/{ticket_id}").get_data(as_text=True), "the public ticket page"
    login(client, "hung")
    assert "Nguyễn V. A." not in client.get("/console").get_data(as_text=True), "another counter's console"
    login(client, "boss")
    hall = client.get("/live")
    assert hall.status_code == 200 and "A001" in hall.get_data(as_text=True)
    assert "Nguyễn V. A." not in hall.get_data(as_text=True), "the manager's live page lists counters, not names"
