"""The root of motcua's own exceptions, in the contract so that devices and the server share it.

``except MotcuaError`` catches every failure motcua raises on purpose (a refused request, a bad config, a store
that is down) and none of the programming errors Python raises (``KeyError``, ``TypeError``), which must stay loud.
"""

from __future__ import annotations


class MotcuaError(Exception):
    """A failure motcua raises on purpose, with a message meant for the person who reads it."""
