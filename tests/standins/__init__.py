# ruff: noqa: E501  (the stand-in prints the real programs' long lines)
"""Stand-in executables for the tunnel programs (ngrok, cloudflared, ssh).

`install(folder, kind)` writes a small Python script named like the program into `folder`;
put `folder` first on PATH and `inspector.core.tunnel` runs it instead of the real one. It
prints the lines the real program prints (or serves ngrok's agent API on loopback), and is
steered by files in the folder:

- ``mode``: ``up`` (default: announce a URL, then run until ``exit`` appears), ``die`` (print
  an error and exit 1 at once), ``silent`` (never announce a URL), ``stubborn`` (like ``up``
  but ignores SIGTERM);
- ``runs``: one line per start; ``pids``: the pid of every start and of the child it spawns,
  so tests can check that nothing is left behind.

Nothing reaches the internet: the URLs are made up, the ngrok API listens on 127.0.0.1.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SCRIPT = r"""#!{python}
import http.server, json, os, signal, subprocess, sys, threading, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
KIND = {kind!r}
mode = (HERE / "mode").read_text().strip() if (HERE / "mode").exists() else "up"
with open(HERE / "runs", "a") as f:
    f.write(" ".join(sys.argv[1:]) + "\n")
run = len((HERE / "runs").read_text().splitlines())
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
with open(HERE / "pids", "a") as f:
    f.write(f"{{os.getpid()}}\n{{child.pid}}\n")
if mode == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

def say(line):
    print(line, flush=True)

def serve_ngrok_api(url):
    port = int(os.environ["STANDIN_NGROK_API_PORT"])
    addr = "http://localhost:" + sys.argv[2]
    class Api(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({{"tunnels": [{{"name": "command_line", "uri": "/api/tunnels/command_line",
                "public_url": url, "proto": "https", "config": {{"addr": addr, "inspect": True}}}}],
                "uri": "/api/tunnels"}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass
    server = http.server.HTTPServer(("127.0.0.1", port), Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()

if mode == "die":
    if KIND == "ngrok":
        say('t=2026-01-01T00:00:00+0000 lvl=eror msg="failed to start tunnel" err="authentication failed: ERR_NGROK_4018"')
    elif KIND == "cloudflared":
        say("2026-01-01T00:00:00Z ERR failed to request quick Tunnel: Post \"https://api.trycloudflare.com/tunnel\": dial tcp: lookup api.trycloudflare.com: no such host")
    else:
        say("ssh: connect to host localhost.run port 22: Connection refused")
    child.kill()
    sys.exit(1)

if mode != "silent":
    if KIND == "ngrok":
        serve_ngrok_api(f"https://run{{run}}-ab12.ngrok-free.app")
        say(f't=2026-01-01T00:00:00+0000 lvl=info msg="started tunnel" obj=tunnels name=command_line addr=http://localhost:{{sys.argv[2]}} url=https://run{{run}}-ab12.ngrok-free.app')
    elif KIND == "cloudflared":
        say("2026-01-01T00:00:00Z INF Requesting new quick Tunnel on trycloudflare.com...")
        say("2026-01-01T00:00:00Z INF +--------------------------------------------------------------------------------------------+")
        say("2026-01-01T00:00:00Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |")
        say(f"2026-01-01T00:00:00Z INF |  https://run{{run}}-quiet-words.trycloudflare.com                                          |")
        say("2026-01-01T00:00:00Z INF +--------------------------------------------------------------------------------------------+")
    else:
        say("===============================================================================")
        say("Welcome to localhost.run!")
        say("To set up and manage custom domains go to https://admin.localhost.run/")
        say("More details on custom domains (and how to enable subdomains of your custom")
        say("domain) at https://localhost.run/docs/custom-domains")
        say(f"run{{run}}ab12.lhr.life tunneled with tls termination, https://run{{run}}ab12.lhr.life")

while not (HERE / "exit").exists():
    time.sleep(0.05)
(HERE / "exit").unlink()
say("connection closed by remote host")
child.kill()
sys.exit(3)
"""


def install(folder: Path, kind: str) -> Path:
    """Write the stand-in for `kind` into `folder` (executable) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / kind
    path.write_text(SCRIPT.format(python=sys.executable, kind=kind), encoding="utf-8")
    path.chmod(0o755)
    return path


def pids(folder: Path) -> list[int]:
    path = folder / "pids"
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def path_with(folder: Path) -> str:
    return f"{folder}{os.pathsep}{os.environ.get('PATH', '')}"
