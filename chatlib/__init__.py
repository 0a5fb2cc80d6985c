"""chatlib: live Socket.IO servers and chat clients for the study guide's notebooks."""

from .chat import add_chat_handlers, add_chat_page, check_message
from .clients import ChatClient, Message, connect_clients, disconnect_clients
from .delivery import Delivery, SettleTimeout, settle, wait_until
from .log import ServerLog, describe
from .observed import ObservedServer, assert_no_handler_errors, handler_errors
from .recovery import Recovery
from .server import EmbeddedServer, running_servers, start_server, stop_all

__all__ = [
    "ChatClient",
    "Delivery",
    "EmbeddedServer",
    "Message",
    "ObservedServer",
    "Recovery",
    "ServerLog",
    "SettleTimeout",
    "add_chat_handlers",
    "add_chat_page",
    "assert_no_handler_errors",
    "check_message",
    "connect_clients",
    "describe",
    "disconnect_clients",
    "handler_errors",
    "running_servers",
    "settle",
    "start_server",
    "stop_all",
    "wait_until",
]
