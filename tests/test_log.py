from chatlib.log import ServerLog, describe


def test_log_keeps_only_the_newest_entries():
    log = ServerLog(maxlen=3)
    for n in range(5):
        log.add("received", f"line {n}")
    assert log.lines() == ["line 2", "line 3", "line 4"]


def test_log_filters_by_kind_and_tells_listeners():
    log = ServerLog()
    seen = []
    log.subscribe(seen.append)
    log.add("connect", "alice connected to /")
    log.add("emit", "emit 'x' 1 to everyone")
    assert log.lines("connect") == ["alice connected to /"]
    assert [entry.kind for entry in seen] == ["connect", "emit"]
    log.unsubscribe(seen.append)
    log.add("emit", "again")
    assert len(seen) == 2


def test_describe_is_short_and_stable():
    assert describe("hi") == "'hi'"
    assert describe(("a", 1)) == "'a', 1"
    assert describe(b"\x00\x01") == "<2 bytes>"
    long = describe("x" * 500)
    assert len(long) == 60 and long.endswith("…")
