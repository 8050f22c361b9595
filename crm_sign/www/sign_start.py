"""A Sign Template's public link, /sign/start/<code> (route rule in hooks.py): a visitor gives name,
e-mail and mobile, confirms a one-time code and goes on to the signing page (signing/public_link.py)."""

from __future__ import annotations

import frappe
from frappe import _

from crm_sign.signing import public_link
from crm_sign.www.sign import LANGUAGES, _script_json

no_cache = 1


def get_context(context) -> dict:
	context.no_cache = 1
	context.lang = frappe.local.lang if frappe.local.lang in LANGUAGES else "en"
	slug = (frappe.form_dict.get("slug") or "").strip()
	template = None
	try:
		template = public_link.public_template(slug)
	except frappe.DoesNotExistError:
		context.http_status_code = 404
		frappe.local.message_log = []
	except frappe.ValidationError:  # too many unknown links from this address
		context.http_status_code = 429
		frappe.local.message_log = []
	company = frappe.defaults.get_global_default("company") or ""
	context.title = template.template_name if template else _("This signing link is not valid.")
	context.found = bool(template)
	context.company = company
	context.data_json = _script_json({"slug": slug if template else "", "labels": labels()})
	return context


def labels() -> dict[str, str]:
	"""Every text the page's script shows, translated here."""
	return {
		"sending": _("Sending…"),
		"sent": _("We sent a 6-digit code to {0}. Enter it below."),
		"checking": _("Checking…"),
		"opening": _("Opening the document…"),
		"error": _("Something went wrong. Please try again."),
		"throttled": _("Too many attempts. Please wait a few minutes and try again."),
	}
