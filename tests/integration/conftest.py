"""Fixtures every web test of this folder may ask for by name: ``office`` (an office service on a real SQLite
store, with its web users), ``app`` and ``client`` on it (``web_support``). A module that defines its own
fixture of the same name uses that one."""

from tests.integration.web_support import app, client, office

__all__ = ["app", "client", "office"]
