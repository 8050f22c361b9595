"""Guest endpoints of the public verify page (/sign/verify): rate-limited per address."""

from __future__ import annotations

import frappe

from crm_sign.signing import verification


@frappe.whitelist(allow_guest=True, methods=["POST"])
def check_file() -> dict:
	"""The verdict on an uploaded PDF (multipart field `file`)."""
	verification.check_rate()
	upload = frappe.request.files.get("file") if getattr(frappe, "request", None) else None
	data = upload.stream.read(verification.MAX_UPLOAD + 1) if upload else b""
	return verification.verdict_for_file(data)


@frappe.whitelist(allow_guest=True, methods=["GET", "POST"])
def check_code(code: str) -> dict:
	"""The verdict on the sealed file of the request whose footer carries `code`."""
	verification.check_rate()
	return verification.verdict_for_code(code)
