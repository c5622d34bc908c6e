"""The pure queue engine: standard library only, no clock, no I/O.

Commands in, events out (``decide``); state is the replay of events (``QueueState.replay``).
"""

from queue_server.engine.decide import decide
from queue_server.engine.errors import CommandRejected, Reason
from queue_server.engine.state import QueueState, TicketStatus

__all__ = ["CommandRejected", "QueueState", "Reason", "TicketStatus", "decide"]
