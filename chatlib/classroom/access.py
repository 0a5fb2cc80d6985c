"""Who may join a classroom chat: the loopback rule and the access token.

On loopback only programs on the instructor's own machine can reach the
server, so no token is needed. Any other address (a classroom's Wi-Fi, or
0.0.0.0 = every interface) can be reached by anyone on that network, so a
token is then required: generated with ``secrets`` when the instructor gives
none, and put in the join link, as Jupyter does with its own URL.

The rule for "loopback": the literal name ``localhost`` or an IP address in
127.0.0.0/8 or ``::1`` (``ipaddress``' ``is_loopback``). Every other name is
treated as reachable from outside, because a host name may resolve to a
network address. Giving a token explicitly turns checking on everywhere,
loopback included (that is how the tests exercise the token path).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import socket
from typing import TYPE_CHECKING
from urllib.parse import quote

from socketio import exceptions

from ..jupyter_links import proxied_path

if TYPE_CHECKING:
    from .session import Classroom

TOKEN_BYTES = 24


def is_loopback(host: str) -> bool:
    """True when only this machine can reach ``host``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    """A fresh URL-safe token (192 random bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def choose_token(host: str, token: str | None) -> str | None:
    """The token to check, or None when none is needed (loopback, none given)."""
    if token is not None:
        if not token:
            raise ValueError("an empty access token would let anyone in: give a real one or none")
        return token
    return None if is_loopback(host) else new_token()


class TokenGate:
    """Checks the token a client sends in ``auth`` on each namespace connect."""

    def __init__(self, token: str | None) -> None:
        self.token = token

    @property
    def required(self) -> bool:
        return self.token is not None

    def check(self, auth: object) -> None:
        """Return if ``auth`` carries the right token; else refuse the connection.

        The comparison takes the same time whatever the guess, so a wrong
        token reveals nothing about the right one.
        """
        if self.token is None:
            return
        given = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(given, str) or not given:
            raise exceptions.ConnectionRefusedError(
                "this classroom needs an access token: use the join link the instructor "
                "shared, or send {'token': ...} in auth"
            )
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            raise exceptions.ConnectionRefusedError(
                "wrong access token: ask the instructor for the current join link"
            )


def reachable_hosts(host: str) -> list[str]:
    """Addresses students can type: the bound one, or for 0.0.0.0 this machine's names."""
    if host not in ("0.0.0.0", "::", ""):
        return [host]
    names = [socket.gethostname()]
    try:
        infos = socket.getaddrinfo(names[0], None, family=socket.AF_INET)
        addresses = {str(info[4][0]) for info in infos}
        names += sorted(a for a in addresses if not is_loopback(a))
    except OSError:
        pass
    return [*names, "127.0.0.1"]


def join_url(host: str, port: int, token: str | None, path: str = "/") -> str:
    """The link students open; it carries the token when there is one."""
    shown = f"[{host}]" if ":" in host else host
    query = f"?token={quote(token)}" if token else ""
    return f"http://{shown}:{port}{path}{query}"


def join_message(classroom: Classroom, *, stop_hint: str = " (Ctrl+C to stop)") -> str:
    """What the instructor reads out or pastes: links, and the notebook call."""
    urls = classroom.join_urls()
    token = f', token="{classroom.token}"' if classroom.token else ""
    lines = [f"Classroom chat {classroom.server.name!r} is running{stop_hint}."]
    if classroom.token is None:
        lines.append("Only this machine can join (loopback). Use --host 0.0.0.0 for the room.")
    lines += ["Students open one of these links in a browser:", *(f"    {u}" for u in urls)]
    base = urls[0].split("?")[0].rstrip("/")
    lines += [
        "or join from a notebook:",
        "    from chatlib.classroom.student import join_class",
        f'    me = await join_class("{base}", name="your name"{token})',
    ]
    return "\n".join(lines)


def proxied_join_path(port: int, token: str | None) -> str | None:
    """The join link through the Jupyter server that runs this kernel, or None.

    It is a path (``<base_url>proxy/<port>/``) that a browser logged in to that
    Jupyter server resolves against the server's own address, however remote:
    the instructor's browser on JupyterHub or Binder, or a projector showing it.
    Students elsewhere still need one of the direct links.
    """
    path = proxied_path(port)
    if path is None:
        return None
    return path + (f"?token={quote(token)}" if token else "")
