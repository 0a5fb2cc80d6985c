"""The only place in chatlib that touches private names of python-socketio or python-engineio.

Everything else calls these modules through public-named hooks and functions:

- ``server``: ``EngineServer``, the ``AsyncServer`` whose handler calls and
  packets reach hooks (``ObservedServer`` and the classroom's server build on it);
- ``client``: ``EngineClient``, the same for ``AsyncClient`` (``ChatClient``);
- ``quickpoll``: the Engine.IO socket that writes a chat frame at once, and whose idle
  WebSocket waits on one read task and a ping timer;
- ``sharedframe``: one broadcast's WebSocket frame, written to every idle receiver;
- ``frames``: closing a WebSocket whose frame is not Engine.IO;
- ``managers``: a manager's room table, its listener, closing its queue.

``tests/test_engine_contract.py`` pins every private behaviour used here, so
an upgrade of either library fails there, with the name and the tested
versions, and nowhere else.
"""
