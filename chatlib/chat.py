"""The tutorial's chat application: its page and its one handler.

The page is socket.io's chat example (a message list and a form). It loads
the official JavaScript client from ``node_modules`` when ``npm ci`` has run,
otherwise from the official CDN, pinned with its integrity hash. Messages are
inserted with ``textContent``: chat text is shown as text, never as HTML.
"""

from __future__ import annotations

from pathlib import Path

import socketio
from aiohttp import web

STATIC = Path(__file__).parent / "static"
CLIENT_VERSION = "4.8.1"
CLIENT_CDN_URL = f"https://cdn.socket.io/{CLIENT_VERSION}/socket.io.min.js"
CLIENT_CDN_INTEGRITY = "sha384-mkQ3/7FUtcGyoppY6bz/PORYoGqOl7/aSUMn2ymDOJcapfS6PHqxhRTMh1RR0Q6+"
LOCAL_CLIENT = (
    Path(__file__).resolve().parent.parent / "node_modules/socket.io-client/dist/socket.io.min.js"
)
MAX_MESSAGE_LENGTH = 500


def client_script_tag() -> str:
    """The ``<script>`` that loads socket.io-client: local copy first, CDN second."""
    if LOCAL_CLIENT.is_file():
        # Relative: the page may be served under a prefix (/proxy/<port>/ on a Jupyter server).
        return '<script src="socket.io.min.js"></script>'
    return (
        f'<script src="{CLIENT_CDN_URL}" integrity="{CLIENT_CDN_INTEGRITY}" '
        'crossorigin="anonymous"></script>'
    )


def chat_page() -> str:
    return (
        (STATIC / "chat.html").read_text().replace("<!-- socket.io client -->", client_script_tag())
    )


async def _page(request: web.Request) -> web.Response:
    return web.Response(text=chat_page(), content_type="text/html")


async def _client_script(request: web.Request) -> web.FileResponse:
    return web.FileResponse(LOCAL_CLIENT)


async def _colours(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "colours.css")


def add_page_files(app: web.Application) -> None:
    """Serve what a chat page loads beside itself: its colours and the local JavaScript client.

    The chat page and the classroom page both link these by relative URLs, so each server
    that shows one of them serves both files next to it.
    """
    app.router.add_get("/colours.css", _colours)
    if LOCAL_CLIENT.is_file():
        app.router.add_get("/socket.io.min.js", _client_script)


def add_chat_page(app: web.Application) -> None:
    """Serve the chat page at ``/``, with the files it loads."""
    app.router.add_get("/", _page)
    add_page_files(app)


def check_message(message: object) -> str:
    """Return ``message`` if it is a chat message we accept; else raise ``ValueError``."""
    if not isinstance(message, str):
        raise ValueError(f"a chat message must be text, not {type(message).__name__}")
    if not message.strip():
        raise ValueError("a chat message cannot be empty")
    if len(message) > MAX_MESSAGE_LENGTH:
        raise ValueError(f"a chat message is at most {MAX_MESSAGE_LENGTH} characters")
    return message


def add_chat_handlers(sio: socketio.AsyncServer) -> None:
    """The tutorial's step 5: every chat message goes to everyone, the sender included.

    Bad input is answered in the acknowledgement and goes no further.
    """

    @sio.on("chat message")
    async def chat_message(sid: str, message: object = None, *_more: object) -> dict[str, object]:
        # _more: the page also sends a client offset, which only a durable server uses
        try:
            text = check_message(message)
        except ValueError as error:
            return {"ok": False, "error": str(error)}
        await sio.emit("chat message", text)
        return {"ok": True}
