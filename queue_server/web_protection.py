"""The ``[web]`` keys that protect a web facing the public: connection limits, timeouts, the sign-in limiter, HTTPS
(cookies, HSTS, the reverse proxy). Shared by the office's ``[web]`` section and the province's (``config.py``,
``province/config.py``); what each one does is said in ``defaults.toml`` and ``docs/web-security.md``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class WebProtection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    connection_limit: int = Field(default=300, ge=10, le=4000)
    """Open connections in all (waitress's own default of 100 let one client with 101 half-sent requests stall
    every page)."""
    connections_per_address: int = Field(default=20, ge=2)
    """Open connections one client address may hold; at the cap its stalest idle or half-sent one makes room."""
    channel_timeout_seconds: int = Field(default=30, ge=2)
    """An idle keep-alive connection is closed after this long."""
    request_timeout_seconds: int = Field(default=30, ge=2)
    """A request must arrive whole within this long from its first byte (slow-header and slow-body clients)."""
    max_request_body_bytes: int = Field(default=4 * 1024 * 1024, ge=64 * 1024)
    max_request_header_bytes: int = Field(default=32 * 1024, ge=4096)
    login_failures_per_account: int = Field(default=5, ge=1)
    """Failed sign-ins for one username from one address in ``login_window_minutes``; then that pair waits."""
    login_failures_per_address: int = Field(default=30, ge=1)
    """Failed sign-ins from one address (any usernames; an IPv6 /64 counts as one address)."""
    login_failures_per_username: int = Field(default=100, ge=1)
    """Failed sign-ins for one username from all addresses together."""
    login_failures_global: int = Field(default=500, ge=1)
    """Failed sign-ins in all; past it only addresses that signed in successfully before may still try."""
    login_window_minutes: int = Field(default=15, ge=1)
    behind_proxy: bool = False
    """A reverse proxy (nginx: ``motcua web nginx-config``) terminates HTTPS in front: its X-Forwarded-For and
    X-Forwarded-Proto are believed, from ``proxy_address`` only."""
    proxy_address: str = "127.0.0.1"
    secure_cookies: bool = False
    """Session cookies always Secure (they are Secure on every HTTPS request anyway)."""
    hsts_seconds: int = Field(default=365 * 24 * 3600, ge=0)
    """Strict-Transport-Security max-age on HTTPS responses; 0 sends none."""
