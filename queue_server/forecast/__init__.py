"""The queue's future: service times learned from the office's own log, and each waiting ticket's predicted
call, from the engine's calling rule run forward (``engine.calling``). Pure like the engine: standard library
only, no clock (``now`` is passed in), no I/O."""
