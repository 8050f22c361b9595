"""The public verify page, /sign/verify (route rule in hooks.py): upload a signed PDF, or arrive from the
QR code of a document's footer (?c=<code>)."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.sessions import get_csrf_token

from crm_sign.signing import verification
from crm_sign.signing.client import TooManyRequestsError
from crm_sign.www.sign import LANGUAGES, _script_json

no_cache = 1


def get_context(context) -> dict:
	context.no_cache = 1
	context.lang = frappe.local.lang if frappe.local.lang in LANGUAGES else "en"
	context.title = _("Verify a signed document")
	code = (frappe.form_dict.get("c") or "").strip()[:40]
	verdict = None
	if code:
		try:
			verification.check_rate()
			verdict = verification.verdict_for_code(code)
		except TooManyRequestsError:
			context.http_status_code = 429
			verdict = {"state": "throttled"}
	context.data_json = _script_json(
		{
			"code": code,
			"verdict": verdict,
			"csrf_token": get_csrf_token() if frappe.session.user != "Guest" else "",
			"labels": labels(),
		}
	)
	return context


def labels() -> dict[str, str]:
	"""Every text the page's script shows, translated here."""
	return {
		"valid": _("Valid: sealed by this site and unchanged since."),
		"other_site": _("The seal is sound, but it was not made by this site."),
		"invalid": _("Not valid: the document was changed after it was sealed, or the seal is broken."),
		"unsealed": _("This PDF carries no crm_sign seal."),
		"unknown": _("No document of this site has this verification code."),
		"pending": _("This document has not been completed yet ({0})."),
		"throttled": _("Too many checks. Please wait a few minutes."),
		"error": _("The file could not be checked."),
		"checking": _("Checking…"),
		"by_this_site": _("Sealed by this site"),
		"intact": _("Seal intact and valid"),
		"whole_file": _("Seal covers the whole file"),
		"yes": _("Yes"),
		"no": _("No"),
		"sha256": _("SHA-256 of the file"),
		"sealed_at": _("Sealed at"),
		"request": _("Request"),
		"title": _("Document"),
		"completed_on": _("Completed on"),
		"signers": _("Signers"),
		"documents": _("Documents in this envelope"),
		"this_file": _("this file"),
		"details_hidden": _(
			"Details of the request are shown only for a file that is exactly a sealed file of this site."
		),
	}
