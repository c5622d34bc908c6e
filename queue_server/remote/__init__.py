"""Queue from home (issue 14, the citizen's half): remote numbers booked from the public web with a one-time SMS
code, their phones kept apart from the event log and purged, the check-in window, "your turn is near" and
"called" messages. The rules of the queue itself are the engine's (``engine/remote.py``); docs/remote.md."""
