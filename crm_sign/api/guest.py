"""Guest endpoints of the signing page. Every call checks the link token; state changes are POST;
all are rate-limited per IP and per token. Work that Frappe only allows a real user to do runs as
the request's owner inside the services."""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.utils import cint

from crm_sign.signing import requests, signer_session
from crm_sign.signing.client import guest_rate_limit

# A signer needs a handful of calls per visit; a guesser hits these long before finding a token.
READ_LIMIT, WRITE_LIMIT, WINDOW = 60, 20, 10 * 60
PAGE_LIMIT = 600  # one image per page and screen width; a long contract read twice stays well under


@frappe.whitelist(allow_guest=True, methods=["POST"])
@guest_rate_limit(limit=READ_LIMIT, seconds=WINDOW)
def open_document(token: str | None = None, link: str | None = None) -> dict:
	"""What the page shows for this link; records "viewed" once per visit."""
	request, row = signer_session.resolve(token, link)
	return signer_session.page_data(request, row, mark_viewed=True)


@frappe.whitelist(allow_guest=True, methods=["GET"])
@guest_rate_limit(limit=READ_LIMIT, seconds=WINDOW)
def document(
	token: str | None = None, link: str | None = None, download: int | str = 0, part: int | str = 0
) -> None:
	"""The document to sign (or the sealed copy once completed; `part`: an envelope's document number),
	only through a valid link."""
	request, row = signer_session.resolve(token, link)
	signer_session.require_signer_identity(row)
	signer_session.require_code(request, row)
	content, file_name = signer_session.document_bytes(request, row, cint(part))
	frappe.local.response.filename = file_name
	frappe.local.response.filecontent = content
	frappe.local.response.type = "pdf"
	frappe.local.response.display_content_as = "attachment" if str(download) in ("1", "true") else "inline"


@frappe.whitelist(allow_guest=True, methods=["GET"])
@guest_rate_limit(limit=PAGE_LIMIT, seconds=WINDOW)
def page(n: int | str, w: int | str = 800, token: str | None = None, link: str | None = None) -> None:
	"""Page `n` of the document as an image `w` pixels wide (rounded up to a cached width)."""
	request, row = signer_session.resolve(token, link)
	signer_session.require_signer_identity(row)
	signer_session.require_code(request, row)
	frappe.local.response.filecontent = signer_session.page_image(request, row, cint(n), cint(w))
	frappe.local.response.filename = f"page-{cint(n)}.webp"
	frappe.local.response.content_type = "image/webp"
	frappe.local.response.type = "download"
	frappe.local.response.display_content_as = "inline"


@frappe.whitelist(allow_guest=True, methods=["POST"])
@guest_rate_limit(limit=5, seconds=WINDOW)
def send_code(token: str | None = None, link: str | None = None) -> dict:
	request, row = signer_session.resolve(token, link)
	return signer_session.send_code(request, row)


@frappe.whitelist(allow_guest=True, methods=["POST"])
@guest_rate_limit(limit=WRITE_LIMIT, seconds=WINDOW)
def verify_code(code: str, token: str | None = None, link: str | None = None) -> dict:
	request, row = signer_session.resolve(token, link)
	return signer_session.verify_code(request, row, code)


@frappe.whitelist(allow_guest=True, methods=["POST"], xss_safe=True)
@guest_rate_limit(limit=WRITE_LIMIT, seconds=WINDOW)
def sign(
	signature: str,
	token: str | None = None,
	link: str | None = None,
	values: str | dict | None = None,
	consent: int | str = 0,
	document_sha256: str | None = None,
) -> dict:
	"""Sign with the drawn or typed signature (a PNG data URL) and the signer's field values.

	`document_sha256` is the hash of the document the page showed (from open_document): required, so
	nobody signs a document they were not shown (another signer may have signed since).
	xss_safe: the values are escaped wherever they are shown, and the PNG must stay byte-exact."""
	request, row = signer_session.resolve(token, link)
	signer_session.require_signer_identity(row)
	signer_session.require_code(request, row)
	if str(consent) not in ("1", "true", "True"):
		frappe.throw(_("Please accept the terms of electronic signature."), title=_("Consent required"))
	if not document_sha256:
		frappe.throw(
			_("Please reload the page and review the document before signing."),
			requests.DocumentChangedError,
			title=_("Document updated"),
		)
	data = json.loads(values) if isinstance(values, str) and values else (values or {})
	if not isinstance(data, dict):
		frappe.throw(_("Invalid field values"))
	requests.record_signature(
		request, row, {str(k): v for k, v in data.items()}, signature, shown_sha256=document_sha256
	)
	# Frappe commits a successful POST before it answers, so the page never says "signed" too early.
	request.reload()
	row = next(r for r in request.signers if r.name == row.name)
	return {"status": request.status, "state": requests.link_state(request, row)}


@frappe.whitelist(allow_guest=True, methods=["POST"])
@guest_rate_limit(limit=WRITE_LIMIT, seconds=WINDOW)
def decline(reason: str, token: str | None = None, link: str | None = None) -> dict:
	request, row = signer_session.resolve(token, link)
	signer_session.require_signer_identity(row)
	signer_session.require_code(request, row)
	requests.decline(request, row, reason)
	return {"status": "Declined"}
