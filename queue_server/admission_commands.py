"""A validated request to the engine command it asks for: the server's side of the contract's request types.

Kept out of ``queue_server/contract/`` so that the contract (what devices import) needs no engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from queue_server.contract import messages as msg
from queue_server.contract.permissions import RequestType
from queue_server.engine import commands as cmd
from queue_server.engine.setup import Outcome


def _outcome(value: msg.Outcome | None) -> Outcome | None:
    return None if value is None else Outcome(value.value)


_COMMANDS: dict[RequestType, Callable[[Any, str], cmd.Command]] = {
    "issue_ticket": lambda b, d: cmd.IssueTicket(b.service_id, b.priority, d, b.display_name, b.accept_late),
    "call_next": lambda b, d: cmd.CallNext(b.counter_id),
    "recall": lambda b, d: cmd.Recall(b.counter_id),
    "skip": lambda b, d: cmd.SkipTicket(b.counter_id),
    "requeue": lambda b, d: cmd.Requeue(b.ticket_id),
    "transfer": lambda b, d: cmd.Transfer(b.counter_id, b.to_service_id, b.to_counter_id, b.to_front),
    "finish": lambda b, d: cmd.FinishService(b.counter_id, _outcome(b.outcome), b.dossier_code),
    "rate": lambda b, d: cmd.RateService(b.counter_id, b.level, b.ticket_id),
    "pause": lambda b, d: cmd.PauseCounter(b.counter_id),
    "resume": lambda b, d: cmd.ResumeCounter(b.counter_id),
    "sign_in": lambda b, d: cmd.SignIn(b.counter_id, b.staff_id),
    "sign_out": lambda b, d: cmd.SignOut(b.counter_id),
    "check_in": lambda b, d: cmd.CheckIn(b.check_in_code, d),
}


def to_command(envelope: msg.RequestEnvelope, body: msg.RequestBody, device_id: str) -> cmd.Command:
    """The command ``device_id``'s request asks for; ``body`` is the one ``msg.parse_request`` validated."""
    return _COMMANDS[envelope.type](body, device_id)
