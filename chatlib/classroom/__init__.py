"""Classroom mode: one chat server for a room full of people, and how they join.

- ``session``: the class itself (``start_class``, ``python -m chatlib classroom``);
- ``guard``: the server class that checks every client before any handler runs;
- ``access``: the access token and the join links; ``limits``: names, sizes, rates;
- ``budget``: the room-wide message budget; ``online``: who is online, for every student;
- ``student``: joining from a notebook; ``presenter``: the projector's view.

It builds on the core (``chatlib.server``, ``chatlib.observed``, the chat page);
nothing in the core imports it.
"""
