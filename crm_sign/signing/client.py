"""Who is calling a guest endpoint: the client's address, and rate limits that keep no raw token.

The address is taken behind a configured number of trusted proxies (site config
`crm_sign_trusted_proxies`), so an X-Forwarded-For entry a caller wrote cannot lock someone else out;
unset, it is Frappe's own request_ip. Either way the evidence calls it the *reported* address.
Limits count per link, whatever the address, and per address; Redis keys hold hashes only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

import frappe
from frappe import _
from frappe.utils import cint


class TooManyRequestsError(frappe.RateLimitExceededError):
	http_status_code = 429


def client_ip() -> str:
	request = getattr(frappe.local, "request", None)
	trusted = frappe.conf.get("crm_sign_trusted_proxies")
	if request is None or trusted is None:
		return getattr(frappe.local, "request_ip", None) or ""
	# REMOTE_ADDR is the nearest hop; with N trusted proxies the last N hops are ours.
	forwarded = [hop.strip() for hop in (request.headers.get("X-Forwarded-For") or "").split(",")]
	hops = [hop for hop in forwarded if hop] + [request.remote_addr or ""]
	return hops[max(len(hops) - cint(trusted) - 1, 0)]


def counter_key(scope: str, identity: str) -> str:
	"""The Redis key of one counter: the identity (a token, an address) only as a hash."""
	digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
	return frappe.cache.make_key(f"crm_sign:limit:{scope}:{digest}")


def hits(scope: str, identity: str) -> int:
	return int(frappe.cache.get(counter_key(scope, identity)) or 0)


def add_hit(scope: str, identity: str, seconds: int) -> int:
	"""Count one; the window of `seconds` starts with the first. Returns the count so far."""
	key = counter_key(scope, identity)
	count = frappe.cache.incrby(key, 1)
	if count == 1:
		frappe.cache.expire(key, seconds)
	return count


def count_hit(scope: str, identity: str, limit: int, seconds: int) -> None:
	"""Count one call of `identity` in `scope`; over `limit` within `seconds` it is refused with 429."""
	if add_hit(scope, identity, seconds) > limit:
		frappe.throw(_("Too many attempts. Please wait a few minutes and try again."), TooManyRequestsError)


def guest_rate_limit(limit: int, seconds: int) -> Callable:
	"""Per link (the `token` argument) and per address; inactive outside HTTP requests, like Frappe's."""

	def decorator(fn: Callable) -> Callable:
		@wraps(fn)
		def wrapper(*args, **kwargs):
			if getattr(frappe.local, "request", None):
				from crm_sign.signing.signer_session import token_from

				form = frappe.form_dict
				token = token_from(
					kwargs.get("token") or form.get("token"), kwargs.get("link") or form.get("link")
				)
				count_hit(f"{fn.__name__}:link", token, limit, seconds)
				count_hit(f"{fn.__name__}:ip", client_ip(), limit * 5, seconds)
			return fn(*args, **kwargs)

		return wrapper

	return decorator
