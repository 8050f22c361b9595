"""Anyone can check a signed document: the public verify page (/sign/verify) and the footer on every page.

Each request gets a random verification code when it is made; every page of its document carries a
small footer with a QR code of `/sign/verify?c=<code>` (no personal data in the URL), printed into the
document the signers see. The page gives the same verdict for the code (the sealed file this site keeps)
or for an uploaded file: is the seal this site's, valid, covering the whole file; and, only when the
uploaded bytes are exactly a sealed file of this site, which request, document, signers and time.
"""

from __future__ import annotations

import datetime
import secrets
from typing import Any

import frappe
from frappe import _

from crm_sign.engine.pdf import VerificationFooter, sha256_hex
from crm_sign.engine.seal import certificate_pem, verify_pdf
from crm_sign.signing.client import client_ip, count_hit
from crm_sign.signing.seal_certificate import site_seal_certificate

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: read aloud and typed from paper
CODE_LENGTH = 12  # about 59 bits
MAX_UPLOAD = 25 * 1024 * 1024
CHECKS_PER_IP = 30  # uploads and code look-ups per address ...
CHECK_WINDOW = 600  # ... per 10 minutes


def new_verify_code() -> str:
	return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def verify_url(code: str) -> str:
	from crm_sign.signing.requests import site_url

	return site_url(f"/sign/verify?c={code}")  # from the site's configuration, never the Host header


def verification_footer(code: str, language: str | None) -> VerificationFooter:
	return VerificationFooter(verify_url(code), _("Verify this document:", lang=language or None))


def check_rate() -> None:
	count_hit("verify:ip", client_ip(), CHECKS_PER_IP, CHECK_WINDOW)


def verdict_for_file(data: bytes) -> dict[str, Any]:
	"""The verdict on uploaded bytes; the request's details only when they are exactly a sealed file."""
	if not data:
		frappe.throw(_("Choose a PDF file to check."))
	if len(data) > MAX_UPLOAD:
		frappe.throw(_("The file is larger than {0} MB.").format(MAX_UPLOAD // (1024 * 1024)))
	digest = sha256_hex(data)
	name = frappe.db.get_value("Sign Request", {"final_sha256": digest}, "name") or frappe.db.get_value(
		"Sign Request Document", {"final_sha256": digest, "parenttype": "Sign Request"}, "parent"
	)
	return _verdict(data, digest, frappe.get_doc("Sign Request", name) if name else None)


def verdict_for_code(code: str) -> dict[str, Any]:
	"""The verdict on the sealed file kept for the request with this verification code."""
	from crm_sign.signing.files import signed_documents

	code = (code or "").strip().upper()
	name = frappe.db.get_value("Sign Request", {"verify_code": code}, "name") if code else None
	if not name:
		return {"state": "unknown"}
	request = frappe.get_doc("Sign Request", name)
	if request.status != "Completed" or not request.signed_pdf:
		return {"state": "pending", "status": _(request.status)}
	verdicts = [_verdict(data, sha256_hex(data), request) for data in signed_documents(request)]
	# An envelope's code stands for all its files: the verdict is the first one that is not valid.
	return next((v for v in verdicts if v["state"] != "valid"), verdicts[0])


def _verdict(data: bytes, digest: str, request=None) -> dict[str, Any]:
	"""`request`: the Sign Request whose sealed file has exactly these bytes, if any."""
	trust = certificate_pem(site_seal_certificate())
	verdict = verify_pdf(data, trust)
	result: dict[str, Any] = {
		"state": _state(verdict),
		"sealed": verdict.sealed,
		"by_this_site": bool(verdict.trusted),
		"intact": bool(verdict.intact and verdict.valid),
		"whole_file": bool(verdict.covers_whole_file),
		"signatures": verdict.signatures,
		"sha256": digest,
		"sealed_at": _local_time(verdict.signed_at),
		"site": _site(),
	}
	if verdict.ok and request is not None:
		result["request"] = _request_details(request, digest)
	return result


def _local_time(moment) -> str:
	"""A seal's time (UTC) in the site's time zone, as the request's own times are shown."""
	if not moment:
		return ""
	from frappe.utils.data import convert_utc_to_system_timezone

	if moment.tzinfo is not None:  # Frappe's converter takes a naive UTC time
		moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
	return frappe.utils.format_datetime(convert_utc_to_system_timezone(moment).replace(tzinfo=None))


def _site() -> str:
	from crm_sign.signing.requests import site_url

	return site_url("/")


def _state(verdict) -> str:
	if verdict.ok:
		return "valid"  # sealed by this site, unchanged, nothing added
	if not verdict.sealed:
		return "unsealed"
	if verdict.intact and verdict.valid and verdict.covers_whole_file:
		return "other_site"  # a sound seal, but not made with this site's certificate
	return "invalid"


def _request_details(request, digest: str) -> dict[str, Any]:
	documents = request.get("documents") or []
	return {
		"name": request.name,
		"title": request.title,
		# An envelope: every document, the one uploaded marked, so its reader knows what else was signed.
		"documents": [
			{"title": row.document_title, "this_file": row.final_sha256 == digest} for row in documents
		],
		"completed_on": frappe.utils.format_datetime(request.completed_on)
		if request.get("completed_on")
		else "",
		"signers": [
			{
				"name": row.signer_name,
				"role": row.get("role_label") or _(row.signer_role),
				"signed_on": frappe.utils.format_datetime(row.signed_on) if row.signed_on else "",
			}
			for row in request.signers
			if row.status == "Signed"
		],
	}
