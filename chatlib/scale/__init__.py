"""Several servers, one conversation (notebook 07 and ``serve --redis``).

- ``cluster``: nodes sharing one queue (Redis, or any pub/sub manager);
- ``shared_recovery``: connection state recovery whichever node a client comes back to;
- ``emitter``: the write-only emitter, run as its own process;
- ``proxy``: a small teaching load balancer (sticky or not);
- ``processes``: the chat as several OS processes;
- ``localredis``: finds a Redis, or starts a private ``redis-server``;
- ``pgmanager``: a PostgreSQL ``LISTEN``/``NOTIFY`` adapter.

``chatlib/deploy/`` (the nginx configuration) stays beside the package data.
"""
