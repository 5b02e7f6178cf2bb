"""A test e-payment provider that behaves like a pmPayment/ePayBL-style platform, run as its own process.

``python -m amtsweg.payments.tests.provider_server --merchant M --secret S`` listens on 127.0.0.1
(a free port, printed as the first line) and speaks the protocol of ``payments.epayment``, without
importing it (a second, independent implementation of the signatures):

- ``GET /pay?…&signature=`` checks the signed redirect and shows a pay page (Bezahlen / Abbrechen /
  Fehlschlag); ``POST /pay/<txid>`` records the outcome, sends the signed notification to the
  ``notify_url`` (unless told otherwise) and redirects the browser back with a signed return;
- ``GET /status/<txid>`` answers a signed status query with a signed JSON body;
- test controls (``/_control/…``, JSON): ``mode`` (how the next payments notify: ``before_return``,
  ``none``, ``twice``, ``forged``, ``late``), ``notify`` (send a notification now: any status,
  notification id, forged key, old timestamp), ``settle`` (change a transaction's status without
  the browser and without notifying), ``tx/<txid>`` (the transaction as the provider sees it).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import html
import json
import sys
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

SIGNATURE_HEADER = "X-Epayment-Signature"


def sign(secret: str, params: dict[str, Any]) -> str:
    canonical = urlencode(sorted((k, str(v)) for k, v in params.items() if k != "signature"))
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def sign_body(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Provider:
    """The provider's state: transactions by txid, the notification mode, and what was sent."""

    def __init__(self, merchant: str, secret: str) -> None:
        self.merchant = merchant
        self.secret = secret
        self.lock = threading.Lock()
        self.transactions: dict[str, dict[str, Any]] = {}
        self.mode = "before_return"
        self.sent: list[dict[str, Any]] = []

    def notify(
        self,
        tx: dict[str, Any],
        *,
        status: str | None = None,
        notification_id: str | None = None,
        forged: bool = False,
        timestamp: int | None = None,
        amount: int | None = None,
    ) -> int:
        """POST a signed notification to the platform; returns the HTTP status it answered."""
        body = json.dumps(
            {
                "notification_id": notification_id or f"n-{uuid.uuid4().hex}",
                "merchant": self.merchant,
                "txid": tx["txid"],
                "kassenzeichen": tx["kassenzeichen"],
                "status": status or tx["status"],
                "amount": tx["amount"] if amount is None else amount,
                "timestamp": int(time.time()) if timestamp is None else timestamp,
            }
        ).encode()
        key = "wrong-key-of-an-attacker" if forged else self.secret
        request = urllib.request.Request(  # noqa: S310  (the platform's URL given in the signed redirect)
            tx["notify_url"],
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign_body(key, body)},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                code = int(response.status)
        except urllib.error.HTTPError as exc:
            code = exc.code
        with self.lock:
            self.sent.append({"txid": tx["txid"], "status": status or tx["status"], "http": code})
        return code


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet in tests

    # --- helpers -------------------------------------------------------------------------------

    def _send(self, code: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, code: int, data: Any, *, signed: bool = False) -> None:
        body = json.dumps(data).encode()
        headers = {SIGNATURE_HEADER: sign_body(self.server.provider.secret, body)} if signed else {}
        self._send(code, body, "application/json", headers)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    # --- routes --------------------------------------------------------------------------------

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query))
        provider = self.server.provider
        if url.path == "/pay":
            self._pay_page(query)
        elif url.path.startswith("/status/"):
            txid = url.path.removeprefix("/status/")
            signed = {k: v for k, v in query.items() if k != "signature"}
            if query.get("merchant") != provider.merchant or not hmac.compare_digest(
                sign(provider.secret, signed), query.get("signature", "")
            ):
                self._json(403, {"error": "signature"})
                return
            tx = provider.transactions.get(txid)
            if tx is None:
                self._json(404, {"error": "unknown"})
                return
            self._json(
                200,
                {
                    "txid": txid,
                    "status": tx["status"],
                    "amount": tx["amount"],
                    "event_id": tx["event_id"],
                    "timestamp": int(time.time()),
                },
                signed=True,
            )
        elif url.path.startswith("/_control/tx/"):
            tx = provider.transactions.get(url.path.removeprefix("/_control/tx/"))
            self._json(200 if tx else 404, tx or {})
        elif url.path == "/_control/sent":
            self._json(200, provider.sent)
        else:
            self._json(404, {"error": "not found"})

    def _pay_page(self, query: dict[str, str]) -> None:
        provider = self.server.provider
        needed = (
            "merchant",
            "txid",
            "kassenzeichen",
            "amount",
            "currency",
            "purpose",
            "return_url",
            "notify_url",
        )
        if (
            any(name not in query for name in needed)
            or query["merchant"] != provider.merchant
            or not hmac.compare_digest(sign(provider.secret, query), query.get("signature", ""))
        ):
            self._send(403, b"<h1>Signatur ungueltig</h1>", "text/html; charset=utf-8")
            return
        txid = query["txid"]
        with provider.lock:
            tx = provider.transactions.setdefault(
                txid,
                {
                    "txid": txid,
                    "status": "open",
                    "event_id": f"e-{uuid.uuid4().hex}",
                },
            )
            tx.update(
                kassenzeichen=query["kassenzeichen"],
                amount=int(query["amount"]),
                purpose=query["purpose"],
                return_url=query["return_url"],
                notify_url=query["notify_url"],
            )
        euros = f"{int(query['amount']) // 100},{int(query['amount']) % 100:02d}"
        page = f"""<!doctype html><html lang="de"><head><meta charset="utf-8">
<title>Test-ePayment</title></head><body><main><h1>Test-ePayment: Zahlung</h1>
<p>Kassenzeichen {html.escape(query["kassenzeichen"])}, Betrag {euros} EUR</p>
<form method="post" action="/pay/{html.escape(txid)}">
<button type="submit" name="action" value="pay">Bezahlen</button>
<button type="submit" name="action" value="cancel">Abbrechen</button>
<button type="submit" name="action" value="fail">Fehlschlag</button>
</form></main></body></html>"""
        self._send(200, page.encode(), "text/html; charset=utf-8")

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        provider = self.server.provider
        body = self._body()
        if url.path.startswith("/pay/"):
            tx = provider.transactions.get(url.path.removeprefix("/pay/"))
            if tx is None:
                self._json(404, {"error": "unknown"})
                return
            action = dict(parse_qsl(body.decode())).get("action", "cancel")
            status = {"pay": "paid", "cancel": "cancelled", "fail": "failed"}.get(action, "cancelled")
            with provider.lock:
                tx["status"] = status
                tx["event_id"] = f"e-{uuid.uuid4().hex}"
            self._after_payment(tx)
            ret = {"txid": tx["txid"], "status": status, "timestamp": int(time.time())}
            ret["signature"] = sign(provider.secret, {**ret, "merchant": provider.merchant})
            separator = "&" if "?" in tx["return_url"] else "?"
            self.send_response(303)
            self.send_header("Location", f"{tx['return_url']}{separator}{urlencode(ret)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = json.loads(body or b"{}")
        if url.path == "/_control/mode":
            provider.mode = data["mode"]
            self._json(200, {"mode": provider.mode})
        elif url.path == "/_control/notify":
            tx = provider.transactions[data["txid"]]
            code = provider.notify(
                tx,
                status=data.get("status"),
                notification_id=data.get("notification_id"),
                forged=bool(data.get("forged")),
                timestamp=data.get("timestamp"),
                amount=data.get("amount"),
            )
            self._json(200, {"http": code})
        elif url.path == "/_control/settle":
            with provider.lock:
                tx = provider.transactions[data["txid"]]
                tx["status"] = data["status"]
                tx["event_id"] = f"e-{uuid.uuid4().hex}"
            self._json(200, tx)
        else:
            self._json(404, {"error": "not found"})

    def _after_payment(self, tx: dict[str, Any]) -> None:
        provider = self.server.provider
        mode = provider.mode
        if mode == "before_return":
            provider.notify(tx)
        elif mode == "twice":
            notification_id = f"n-{uuid.uuid4().hex}"
            provider.notify(tx, notification_id=notification_id)
            provider.notify(tx, notification_id=notification_id)
        elif mode == "forged":
            provider.notify(tx, forged=True)
        elif mode == "late":
            snapshot = dict(tx)
            threading.Timer(0.5, provider.notify, args=(snapshot,)).start()
        # "none": the platform must find out by asking (status)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, provider: Provider) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.provider = provider


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--merchant", required=True)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args(argv)
    server = Server(Provider(args.merchant, args.secret))
    print(server.server_address[1], flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()
