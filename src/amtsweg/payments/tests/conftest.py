"""Fixtures of the payments tests: the test e-payment provider (a separate process) and its settings."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

MERCHANT = "RKN-TEST-01"
SECRET = "test-secret-4f1c9a"


@dataclass
class ProviderServer:
    url: str

    def control(self, path: str, data: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(  # noqa: S310  (127.0.0.1 only)
            f"{self.url}/_control/{path}",
            data=json.dumps(data).encode() if data is not None else None,
            method="POST" if data is not None else "GET",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return json.loads(response.read())


@pytest.fixture(scope="session")
def provider_server() -> Iterator[ProviderServer]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "amtsweg.payments.tests.provider_server",
            "--merchant",
            MERCHANT,
            "--secret",
            SECRET,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    port = int(process.stdout.readline().strip())
    try:
        yield ProviderServer(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def epayment(settings: Any, provider_server: ProviderServer) -> ProviderServer:
    """The e-payment provider configured for the platform, notifying in the default way."""
    settings.PAYMENT_EPAYMENT = {
        "url": provider_server.url,
        "merchant_id": MERCHANT,
        "secret": SECRET,
        "label": "Test-ePayment",
    }
    provider_server.control("mode", {"mode": "before_return"})
    return provider_server
