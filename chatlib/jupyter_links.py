"""Links to a kernel's own servers that work wherever the learner's browser is.

A server started in a kernel listens on the kernel's machine at 127.0.0.1. That
address is right when the browser runs on the same machine, and wrong on
JupyterHub, Binder, Codespaces or any remote Jupyter server: there the browser
can reach only the Jupyter server itself. jupyter-server-proxy, a Jupyter
server extension, forwards ``<base_url>proxy/<port>/`` (HTTP and WebSockets) to
``127.0.0.1:<port>`` on the server's machine, so a link of that form, an
absolute path without a host, reaches the kernel's server through the
address the browser already uses for Jupyter.

Detection reads the kernel's environment only, never the network:

- JupyterHub gives every single-user server ``JUPYTERHUB_SERVICE_PREFIX``
  (``/user/<name>/``), and its kernels inherit it;
- otherwise a Jupyter server writes ``jpserver-<pid>.json`` (its base URL
  among other things) into the runtime directory, and it starts each kernel as
  its own child, so the file named after the kernel's parent process says
  that a Jupyter server started this kernel, and where it is served.

nbval, nbconvert and plain Python start kernels without a Jupyter server: no
such file, so links stay direct and saved outputs do not change.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

PROXY_MODULE = "jupyter_server_proxy"


def proxy_installed() -> bool:
    """True when jupyter-server-proxy can be imported in this environment.

    The kernel and its Jupyter server normally share one environment (``make lab``,
    Binder, the conda environment); its module is looked up, not imported, which
    would pull in the whole Jupyter server.
    """
    try:
        return importlib.util.find_spec(PROXY_MODULE) is not None
    except (ImportError, ValueError):  # ValueError: marked absent in sys.modules
        return False


def runtime_dir() -> Path:
    """Where Jupyter servers write their ``jpserver-<pid>.json`` files."""
    if configured := os.environ.get("JUPYTER_RUNTIME_DIR"):
        return Path(configured)
    try:
        from jupyter_core.paths import jupyter_runtime_dir
    except ImportError:  # no Jupyter here at all
        return Path.home() / ".local/share/jupyter/runtime"
    return Path(jupyter_runtime_dir())


def jupyter_base_url() -> str | None:
    """The base URL path of the Jupyter server that started this kernel, or None."""
    if prefix := os.environ.get("JUPYTERHUB_SERVICE_PREFIX"):
        return prefix if prefix.endswith("/") else prefix + "/"
    info = runtime_dir() / f"jpserver-{os.getppid()}.json"
    try:
        base_url = json.loads(info.read_text()).get("base_url", "/")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(base_url, str) or not base_url.startswith("/"):
        return None
    return base_url if base_url.endswith("/") else base_url + "/"


def proxied_path(port: int, path: str = "/") -> str | None:
    """``<base_url>proxy/<port><path>`` when the browser can reach the port that way, else None.

    The answer is a path without scheme or host: the browser resolves it against
    the address it uses for Jupyter, whatever that is.
    """
    base_url = jupyter_base_url()
    if base_url is None or not proxy_installed():
        return None
    return f"{base_url}proxy/{port}/{path.lstrip('/')}"
