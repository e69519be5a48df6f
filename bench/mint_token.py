#!/usr/bin/env python3
"""An access token for the benchmark and drill scripts when the build cannot create users yet.

    bench/mint_token.py DB_PATH --email E --role R --secret JWT_SECRET [--minutes 60]

Ensures a user with that email and role exists in the database (with a password no one can
sign in with), then prints an HS256 access token for it, signed with the server's JWT secret
and carrying the claims the server checks (iss, aud, sub, exp, iat, ver). The scripts prefer
signing in with a password; this is their fallback for builds without `newsdesk user add` or
an admin created from NEWSDESK_ADMIN_EMAIL. Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sqlite3
import time
import uuid
from datetime import datetime, timezone

ISSUER = "newsdesk"
AUDIENCE = "newsdesk-api"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def ensure_user(db_path: str, email: str, role: str) -> tuple[str, int]:
    """(id, token_version) of the user with this email, created when absent."""
    with sqlite3.connect(db_path, timeout=30) as connection:
        row = connection.execute(
            "SELECT id, token_version FROM users WHERE lower(email) = lower(?)", (email,)
        ).fetchone()
        if row:
            return row[0], row[1]
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        user_id = str(uuid.uuid4())
        connection.execute(
            "INSERT INTO users (id, email, display_name, role, password_hash, disabled,"
            " token_version, created_at, updated_at, version) VALUES (?,?,?,?,?,0,0,?,?,1)",
            (user_id, email.lower(), email.split("@")[0], role, "!no-password", now, now),
        )
        return user_id, 0


def access_token(user_id: str, token_version: int, secret: str, minutes: int = 60) -> str:
    now = int(time.time())
    header = {"typ": "JWT", "alg": "HS256"}
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": user_id, "exp": now + minutes * 60,
              "iat": now, "ver": token_version}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database")
    parser.add_argument("--email", required=True)
    parser.add_argument("--role", required=True, choices=["admin", "editor", "contributor"])
    parser.add_argument("--secret", required=True)
    parser.add_argument("--minutes", type=int, default=60)
    args = parser.parse_args()
    user_id, version = ensure_user(args.database, args.email, args.role)
    print(access_token(user_id, version, args.secret, args.minutes))


if __name__ == "__main__":
    main()
