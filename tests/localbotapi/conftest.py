import json

import httpx
import pytest

from devtools.localbotapi import LocalBotApi

TOKEN = "123:ABC"


@pytest.fixture
def server():
    with LocalBotApi() as running:
        yield running


@pytest.fixture
def api(server):
    """Call a Bot API method the way PTB does: form fields, non-strings JSON-encoded."""
    with httpx.Client(timeout=10) as client:

        def call(method: str, files: dict | None = None, **params):
            data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
            response = client.post(f"{server.base_url}{TOKEN}/{method}", data=data, files=files)
            body = response.json()
            assert response.status_code == (200 if body["ok"] else body["error_code"])
            return body

        yield call
