"""Link tokens and one-time codes.

A link token is 256 bits from `secrets`, shown once in the signer's link and stored only as an
HMAC-SHA256 keyed by a site secret, so a database leak gives no working links. One-time codes are
6 digits, stored hashed the same way, live 5 minutes and allow 5 tries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from .errors import OneTimeCodeError, TokenError, TokenExpiredError

TOKEN_BYTES = 32  # 256 bits
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
CODE_DIGITS = 6
CODE_LIFETIME = dt.timedelta(minutes=5)
CODE_MAX_ATTEMPTS = 5
CODE_RESEND_INTERVAL = dt.timedelta(seconds=60)
CODE_MAX_SENDS = 5


def _key(secret: str | bytes) -> bytes:
	if not secret:
		raise TokenError("A non-empty secret is required to hash tokens")
	return secret.encode() if isinstance(secret, str) else secret


def new_token() -> str:
	"""A fresh URL-safe token of 256 bits (43 characters)."""
	return secrets.token_urlsafe(TOKEN_BYTES)


def is_well_formed(token: str) -> bool:
	return isinstance(token, str) and bool(TOKEN_PATTERN.match(token))


def hash_token(token: str, secret: str | bytes) -> str:
	"""The HMAC stored at rest; also the lookup key for an incoming token."""
	return hmac.new(_key(secret), b"link:" + token.encode(), hashlib.sha256).hexdigest()


def check_token(
	token: str,
	stored_hash: str,
	secret: str | bytes,
	expires_at: dt.datetime | None = None,
	now: dt.datetime | None = None,
) -> None:
	"""Raise TokenError unless `token` matches `stored_hash` (constant-time) and has not expired."""
	if not is_well_formed(token):
		raise TokenError("Malformed link token")
	if not hmac.compare_digest(hash_token(token, secret), stored_hash or ""):
		raise TokenError("Unknown link token")
	if expires_at is not None and (now or dt.datetime.now()) >= expires_at:
		raise TokenExpiredError("The link has expired")


@dataclass
class OneTimeCode:
	"""The stored state of a signer's one-time code (the code itself is never stored)."""

	code_hash: str = ""
	expires_at: dt.datetime | None = None
	attempts: int = 0
	sends: int = 0
	last_sent_at: dt.datetime | None = None
	verified: bool = False

	@property
	def locked(self) -> bool:
		return self.attempts >= CODE_MAX_ATTEMPTS and not self.verified


def hash_code(code: str, secret: str | bytes, salt: str) -> str:
	"""Salted with the signer's id so equal codes of two signers hash differently."""
	return hmac.new(_key(secret), f"otp:{salt}:{code}".encode(), hashlib.sha256).hexdigest()


def issue_code(
	state: OneTimeCode, secret: str | bytes, salt: str, now: dt.datetime
) -> tuple[str, OneTimeCode]:
	"""A new 6-digit code and the state to store; refuses when resending too soon or too often."""
	if state.locked:
		raise OneTimeCodeError("Too many wrong codes; this link is locked")
	if state.sends >= CODE_MAX_SENDS:
		raise OneTimeCodeError("Too many codes were sent; please contact the sender")
	if state.last_sent_at and now - state.last_sent_at < CODE_RESEND_INTERVAL:
		raise OneTimeCodeError("Please wait a minute before asking for another code")
	code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
	new_state = OneTimeCode(
		code_hash=hash_code(code, secret, salt),
		expires_at=now + CODE_LIFETIME,
		attempts=state.attempts,
		sends=state.sends + 1,
		last_sent_at=now,
	)
	return code, new_state


def verify_code(
	state: OneTimeCode, code: str, secret: str | bytes, salt: str, now: dt.datetime
) -> OneTimeCode:
	"""Check `code`; returns the updated state (store it whatever the outcome).

	Raises OneTimeCodeError with the attempts left when the code is wrong, expired or locked.
	The caller must persist the returned or raised-with state: use `record_failure` on error.
	"""
	if state.locked:
		raise OneTimeCodeError("Too many wrong codes; this link is locked", 0)
	if not state.code_hash or state.expires_at is None:
		raise OneTimeCodeError("No code was sent", CODE_MAX_ATTEMPTS - state.attempts)
	if now >= state.expires_at:
		raise OneTimeCodeError("The code has expired; ask for a new one", CODE_MAX_ATTEMPTS - state.attempts)
	candidate = (code or "").strip()
	if not (len(candidate) == CODE_DIGITS and candidate.isdigit()) or not hmac.compare_digest(
		hash_code(candidate, secret, salt), state.code_hash
	):
		state.attempts += 1
		left = max(CODE_MAX_ATTEMPTS - state.attempts, 0)
		raise OneTimeCodeError("Wrong code" if left else "Too many wrong codes; this link is locked", left)
	state.verified = True
	state.code_hash = ""
	return state
