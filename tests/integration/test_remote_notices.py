"""'Your turn is near' and 'called' SMS of remote numbers, each once, from the committed log."""

from __future__ import annotations

from queue_server.engine import commands as cmd
from queue_server.notify.notifier import Purpose
from queue_server.remote.booking import RemoteDesk
from queue_server.remote.notices import RemoteNotices, WaitingRemotePhones
from tests.integration.remote_support import PHONE, KeptNotifier, book, desk
from tests.integration.web_support import Office


def notices(office: Office, d: RemoteDesk, notifier: KeptNotifier) -> RemoteNotices:
    return RemoteNotices(
        store=office.store, live=office.service.live, phones=d.phones, notifier=notifier, policy=d.policy, near_every=0
    )


def test_near_then_called_each_once(office: Office) -> None:
    notifier = KeptNotifier()
    d = desk(office, notifier, near_position=2, near_minutes=0)
    for _ in range(4):
        office.run(cmd.IssueTicket("ho-tich"))
    booked = book(d, notifier)
    watcher = notices(office, d, notifier)
    watcher.tick()
    assert [m.purpose for m in notifier.sent] == [Purpose.ONE_TIME_CODE]  # 4 ahead: not near yet
    office.run(cmd.CallNext("quay-1"))
    office.run(cmd.CallNext("quay-2"))
    watcher.tick()
    watcher.tick()
    near = [m for m in notifier.sent if m.purpose is Purpose.TURN_NEAR]
    assert len(near) == 1 and near[0].phone == PHONE and booked.label in near[0].text
    assert "quét mã tại ki-ốt" in near[0].text  # not checked in yet: told to come and check in
    code = next(c for c, t in office.service.state.check_in_codes.items() if t == booked.ticket_id)
    office.run(cmd.CheckIn(code))
    assert WaitingRemotePhones(d.phones, office.service.live).waiting_phones() == [PHONE]
    office.run(cmd.CallNext("quay-1"))  # A003
    office.run(cmd.CallNext("quay-2"))  # A004
    office.run(cmd.CallNext("quay-1"))  # A005, the remote number, at its booked place after the four walk-ins
    watcher.tick()
    watcher.tick()
    called = [m.text for m in notifier.sent if m.purpose is Purpose.CALLED]
    assert called == [f"Mời số {booked.label} đến quầy 1."]
    assert WaitingRemotePhones(d.phones, office.service.live).waiting_phones() == []


def test_a_restarted_watcher_does_not_send_a_call_twice(office: Office) -> None:
    notifier = KeptNotifier()
    d = desk(office, notifier, near_position=0, near_minutes=0)
    booked = book(d, notifier)
    code = next(c for c, t in office.service.state.check_in_codes.items() if t == booked.ticket_id)
    office.run(cmd.CheckIn(code))
    office.run(cmd.CallNext("quay-1"))
    notices(office, d, notifier).tick()
    notices(office, d, notifier).tick()  # a new watcher reads the recent log again: the key makes it once
    assert [m.text for m in notifier.sent if m.purpose is Purpose.CALLED] == ["Mời số A001 đến quầy 1."]
