"""Durable delivery (notebook 06): nothing lost across a disconnect, nothing twice.

- ``store``: the SQLite message store; ``server``: the chat server that stores
  and replays (``DurableChatServer``);
- ``reliable``: the client that retries until acknowledged and shows each
  message once (``DurableClient``);
- ``faults``: dropped connections and slow acknowledgements on purpose;
- ``ledger``: the exactly-once check; ``widgets``: panes with their toggles.

Also behind ``python -m chatlib serve --db``.
"""
