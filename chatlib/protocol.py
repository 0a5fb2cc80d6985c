"""Event names that belong to the guide itself, and the ones Socket.IO reserves.

The guide's own events carry a ``chatlib:`` prefix so that a lesson's handlers
never see them and a learner's event can never collide with them.
"""

SETTLE_EVENT = "chatlib:settle"
"""A client asks the server to confirm it has read everything sent before."""

MARKER_EVENT = "chatlib:marker"
"""The server's barrier: whatever was emitted before it has already arrived."""

INTERNAL_EVENTS = frozenset({SETTLE_EVENT, MARKER_EVENT})

RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)
"""Names the JavaScript client refuses to emit; python-socketio does not check them."""
