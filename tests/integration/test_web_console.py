"""The staff console and the public ticket page, on a real office service and SQLite store."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from tests.integration.test_web_support import Office, app, client, login, make_app, office, post

__all__ = ["app", "client", "office"]  # fixtures


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
