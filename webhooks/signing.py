"""How a delivery is signed, and how a receiver checks it (the README shows the same in a
receiver): ``X-CollabHub-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`` with
the endpoint's secret, where ``<timestamp>`` is ``X-CollabHub-Timestamp`` (Unix seconds)."""

import hashlib
import hmac
import time

TOLERANCE = 300  # seconds: an older (or future) timestamp is a replay


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def signature_verify(
    *, secret: str, timestamp: str, body: bytes, header: str, now: float | None = None
) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent) > TOLERANCE:
        return False
    return hmac.compare_digest(signature(secret=secret, timestamp=sent, body=body), header)
