"""Response headers and cookie flags for a web that faces the public (the ticket page, later the booking page).

Every response, error pages and static files included, carries a Content Security Policy that allows only the
app's own scripts, styles and images (the pages have no inline script or style: charts are inline SVG drawn with
presentation attributes, the live updates come from ``static/live.js``), refuses framing (X-Frame-Options and
``frame-ancestors``), forbids MIME sniffing and keeps addresses (ticket ids) out of other sites' Referer.

The session cookie is HttpOnly and SameSite=Lax always, and Secure whenever the request came over HTTPS (directly or
through the configured reverse proxy, whose X-Forwarded-Proto waitress believes only from the proxy's own address:
``web.server``) or when ``web.secure_cookies`` forces it; HTTPS responses carry HSTS (``web.hsts_seconds``). The
decision is made per request because one server may be reached both ways (loopback HTTP for the supervisor, the
proxy's HTTPS for everybody else).
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def secure_request(app: Flask) -> bool:
    """Cookies must be Secure for this request: it came over HTTPS, or the configuration says always."""
    config = app.config
    return bool(config.get("SECURE_COOKIES") or config.get("SESSION_COOKIE_SECURE")) or request.is_secure


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the Secure flag decided per request, and without an ``Expires`` date.

    No ``Expires``: a server clock hours behind (a Pi before NTP) would otherwise send cookies the browser finds
    expired already, and nobody could sign in to confirm the time. The session still ends after
    ``PERMANENT_SESSION_LIFETIME`` without a request: the signed cookie's age is checked by the server on every
    request, against its own clock, and renewed on each request."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return secure_request(app)

    def get_expiration_time(self, app: Flask, session: SessionMixin) -> None:
        return None


def install(app: Flask) -> None:
    """Cookie flags and the headers on every response of ``app`` (the office's and the province's)."""
    app.session_interface = SessionCookies()
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=bool(app.config.get("SECURE_COOKIES")),
    )
    app.config.setdefault("HSTS_SECONDS", 365 * 24 * 3600)

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        seconds = int(app.config["HSTS_SECONDS"])
        if seconds > 0 and secure_request(app):
            response.headers.setdefault("Strict-Transport-Security", f"max-age={seconds}")
        return response
