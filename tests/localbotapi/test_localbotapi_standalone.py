"""``python -m devtools.localbotapi`` serves until terminated and accepts any token."""

import subprocess
import sys
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def test_standalone_server():
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.localbotapi", "--port", "0", "--user", "5"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = process.stdout.readline().strip().removeprefix("base_url=")
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/bot")
        assert httpx.post(f"{base_url}999:anything/getMe").json()["result"]["id"] == 999
        assert httpx.post(f"{base_url}1:x/sendMessage", data={"chat_id": "5", "text": "hai"}).json()["ok"]

        def chunks():
            yield b"chat_id=5&"
            yield b"text=chunked"

        response = httpx.post(
            f"{base_url}1:x/sendMessage",
            content=chunks(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.json()["result"]["text"] == "chunked"
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0
