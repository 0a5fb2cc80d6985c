"""The shipped nginx config, run by a real nginx in front of two nodes sharing Redis."""

import asyncio
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

import chatlib
from chatlib import ChatClient, settle
from chatlib.scale.localredis import free_port
from tests.support import require
from tests.test_proxy import polling_connect

CONFIG = Path(chatlib.__file__).parent / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def render(config: str, nodes, port: int, sticky: bool = True) -> str:
    """The shipped config with this test's ports; ``sticky=False`` drops ``ip_hash``."""
    upstreams = "".join(f"        server 127.0.0.1:{node.port};\n" for node in nodes)
    config = re.sub(r"( {8}server 127\.0\.0\.1:\d+;\n)+", upstreams, config)
    config = config.replace("listen 127.0.0.1:8000;", f"listen 127.0.0.1:{port};")
    if not sticky:
        config = config.replace("        ip_hash;\n", "")
    return config


class Nginx:
    def __init__(self, config: str, directory: Path, port: int) -> None:
        self.directory, self.port = directory, port
        (directory / "nginx.conf").write_text(config)
        command = [NGINX, "-p", str(directory), "-c", str(directory / "nginx.conf")]
        command += ["-e", "stderr", "-g", "daemon off;"]
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def ready(self, timeout: float = 10) -> None:
        async with asyncio.timeout(timeout):
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"nginx exited: {self.process.stderr.read()}")
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                    return
                except OSError:
                    await asyncio.sleep(0.02)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


@pytest.fixture
def nginx_for(tmp_path):
    require(NGINX is not None, "nginx", "apt-get install nginx (.ci/run does it)")
    started = []

    async def start(nodes, sticky=True):
        port = free_port()
        server = Nginx(render(CONFIG.read_text(), nodes, port, sticky), tmp_path, port)
        started.append(server)
        await server.ready()
        return server

    yield start
    for server in started:
        server.stop()


def test_the_shipped_config_is_valid_and_has_what_socketio_needs(tmp_path):
    require(NGINX is not None, "nginx", "apt-get install nginx (.ci/run does it)")
    text = CONFIG.read_text()
    for needed in ("ip_hash;", "proxy_http_version 1.1;", "Upgrade $http_upgrade", '"upgrade"'):
        assert needed in text
    (tmp_path / "nginx.conf").write_text(text)
    check = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", "stderr"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert check.returncode == 0, check.stderr


async def test_polling_sessions_work_through_nginx_with_ip_hash(nodes, nginx_for):
    nginx = await nginx_for(nodes)
    for _ in range(4):
        assert await polling_connect(nginx.url) == [200, 200, 200]


async def test_without_ip_hash_polling_gets_invalid_session(nodes, nginx_for):
    """The control: round-robin breaks polling, so the test above means something."""
    nginx = await nginx_for(nodes, sticky=False)
    results = [await polling_connect(nginx.url) for _ in range(4)]
    assert [400] in [r[1:2] for r in results]


async def test_websockets_through_nginx_reach_both_nodes(nodes, nginx_for):
    nginx = await nginx_for(nodes)
    direct = ChatClient("dora")
    await direct.connect(nodes[1].url)
    through = ChatClient("nick")
    await through.connect(nginx.url)  # websocket only: the Upgrade headers must pass
    assert through.transport() == "websocket"
    await nodes[0].sio.emit("news", "to everyone")
    delivery = await settle(nodes, direct, through)
    assert delivery.receivers("news") == ["dora", "nick"]
    await through.emit("hello", "via nginx")
    await settle(nodes, direct, through)
    assert any("nick → 'hello'" in line for node in nodes for line in node.log.lines("received"))
