"""A small OpenID Connect provider on 127.0.0.1 for sign-in tests: the authorization-code
flow with PKCE and nonce, RS256-signed ID tokens, a JWKS and a userinfo endpoint, as the
OpenID Connect Core specification describes them. It approves every request for the user
whose claims the test sets."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

KID = "test-key-1"


class Provider:
    def __init__(self, client_id: str = "sahayak", client_secret: str = "provider-secret"):
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.claims: dict[str, Any] = {}
        self.grants: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Provider:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def env(self) -> dict[str, str]:
        """The settings that point Sahayak at this provider."""
        return {
            "SAHAYAK_OIDC_CLIENT_ID": self.client_id,
            "SAHAYAK_OIDC_CLIENT_SECRET": self.client_secret,
            "SAHAYAK_OIDC_AUTHORIZATION_URL": f"{self.url}/authorize",
            "SAHAYAK_OIDC_TOKEN_URL": f"{self.url}/token",
            "SAHAYAK_OIDC_USERINFO_URL": f"{self.url}/userinfo",
            "SAHAYAK_OIDC_JWKS_URL": f"{self.url}/jwks",
        }

    def _id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        payload = {
            "iss": self.url,
            "aud": self.client_id,
            "sub": self.claims["sub"],
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            "email": self.claims.get("email"),
        }
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": KID})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/authorize":
                    if query.get("client_id") != provider.client_id:
                        self._json(400, {"error": "unauthorized_client"})
                        return
                    code = secrets.token_urlsafe(16)
                    provider.grants[code] = query
                    target = (
                        query["redirect_uri"]
                        + "?"
                        + urlencode({"code": code, "state": query.get("state", "")})
                    )
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.end_headers()
                elif url.path == "/jwks":
                    jwk = json.loads(RSAAlgorithm.to_jwk(provider.key.public_key()))
                    self._json(200, {"keys": [{**jwk, "kid": KID, "use": "sig", "alg": "RS256"}]})
                elif url.path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    if token not in provider.tokens:
                        self._json(401, {"error": "invalid_token"})
                        return
                    self._json(200, provider.tokens[token])
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlparse(self.path).path != "/token":
                    self._json(404, {"error": "not_found"})
                    return
                grant = provider.grants.pop(form.get("code", ""), None)
                if (
                    grant is None
                    or form.get("client_secret") != provider.client_secret
                    or form.get("redirect_uri") != grant["redirect_uri"]
                ):
                    self._json(400, {"error": "invalid_grant"})
                    return
                verifier = form.get("code_verifier", "")
                digest = hashlib.sha256(verifier.encode()).digest()
                challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
                if grant.get("code_challenge") and challenge != grant["code_challenge"]:
                    self._json(400, {"error": "invalid_grant", "detail": "PKCE"})
                    return
                access = secrets.token_urlsafe(24)
                provider.tokens[access] = dict(provider.claims)
                self._json(
                    200,
                    {
                        "access_token": access,
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": provider._id_token(grant),
                    },
                )

        return Handler
