"""How Sahayak signs what it sends to other systems (webhooks, the API channel's replies).

The receiver recomputes HMAC-SHA256 of ``"<timestamp>.<body>"`` under the shared secret,
compares it with ``X-Sahayak-Signature`` in constant time, and refuses old timestamps.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Sahayak-Signature"
TIMESTAMP_HEADER = "X-Sahayak-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()
