"""Guest endpoints of a Sign Template's public link (/sign/start/<code>): rate-limited in the service
per address, per e-mail address and per pending start (crm_sign/signing/public_link.py)."""

from __future__ import annotations

import frappe

from crm_sign.signing import public_link


@frappe.whitelist(allow_guest=True, methods=["POST"])
def request_code(slug: str, full_name: str, email: str, mobile: str | None = None) -> dict:
	"""E-mail the visitor a one-time code; returns the pending start's id and the masked address."""
	return public_link.request_code(slug, full_name, email, mobile)


@frappe.whitelist(allow_guest=True, methods=["POST"])
def confirm_code(start: str, code: str) -> dict:
	"""With the right code: the Lead, the request, and the signing page's address to go to."""
	result = public_link.confirm_code(start, code)
	return {"url": result["url"]}
