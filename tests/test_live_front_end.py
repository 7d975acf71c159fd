"""Widgets are live in a kernel that JupyterLab starts, and static under headless runners.

Starts a real Jupyter server on a free loopback port, opens chapter 0 as a notebook session (as
JupyterLab does), and asks the kernel whether it sees a front end.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests
import websocket

TOKEN = uuid.uuid4().hex


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(root, monkeypatch):
    monkeypatch.delenv("GAN_COURSE_WIDGETS", raising=False)
    port = free_port()
    cmd = [sys.executable, "-m", "jupyter", "server", "--no-browser", "--allow-root", f"--port={port}",
           "--ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root / 'notebooks'}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if requests.get(f"{base}/api/status", headers={"Authorization": f"token {TOKEN}"}, timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.5)
        else:
            pytest.fail("the Jupyter server did not start within 60 s")
        yield base, port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run_in_kernel(base: str, port: int, path: str, code: str) -> str:
    headers = {"Authorization": f"token {TOKEN}"}
    session = requests.post(f"{base}/api/sessions", headers=headers, timeout=30, json={
        "path": path, "type": "notebook", "kernel": {"name": "python3"}}).json()
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{port}/api/kernels/{session['kernel']['id']}/channels?token={TOKEN}", timeout=60)
    try:
        msg_id = uuid.uuid4().hex
        ws.send(json.dumps({
            "header": {"msg_id": msg_id, "username": "test", "session": uuid.uuid4().hex,
                       "msg_type": "execute_request", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False}}))
        while True:
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                return msg["content"]["text"].strip()
            if msg["msg_type"] == "error":
                pytest.fail(f"kernel error: {msg['content']['ename']}: {msg['content']['evalue']}")
    finally:
        ws.close()


def test_widgets_are_live_in_a_kernel_started_by_jupyter(server):
    base, port = server
    out = run_in_kernel(base, port, "ch00_adversarial_idea/ch00_adversarial_idea.ipynb",
                        "from gan_helpers.widgets import front_end_attached; print(front_end_attached())")
    assert out == "True", f"a kernel started by Jupyter Server should see a front end; it printed {out!r}"
