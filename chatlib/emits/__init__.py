"""The emit cheatsheet's helpers (notebook 04).

- ``broadcast``: what socket.io has and python-socketio lacks, built from its
  public API: ``emit_except`` (``io.except``) and ``call_each`` (acks from a room);
- ``plan``: one emit written in JavaScript and in Python, from the same choices;
- ``playground``: the widget that builds, shows and runs such an emit.
"""
