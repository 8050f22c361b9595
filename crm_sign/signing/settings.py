"""Sign Settings access and the per-doctype contact field map."""

from __future__ import annotations

from dataclasses import dataclass

import frappe
from frappe import _

# Where e-mail, mobile, name and the company signer live on the CRM doctypes (shared/FRAPPE.md §10).
DEFAULT_CONTACT_FIELDS: dict[str, dict[str, str]] = {
	"Lead": {
		"email_field": "email_id",
		"mobile_field": "mobile_no",
		"name_field": "lead_name",
		"company_signer_field": "lead_owner",
	},
	"Opportunity": {
		"email_field": "contact_email",
		"mobile_field": "contact_mobile",
		"name_field": "customer_name",
		"company_signer_field": "opportunity_owner",
	},
	"Contact": {"email_field": "email_id", "mobile_field": "mobile_no", "name_field": "full_name"},
	"Customer": {"email_field": "email_id", "mobile_field": "mobile_no", "name_field": "customer_name"},
	"Quotation": {
		"email_field": "contact_email",
		"mobile_field": "contact_mobile",
		"name_field": "customer_name",
	},
}


@dataclass
class ContactFields:
	email_field: str = ""
	mobile_field: str = ""
	name_field: str = ""
	company_signer_field: str = ""


def get_settings():
	return frappe.get_cached_doc("Sign Settings")


def enabled_doctypes() -> list[str]:
	return [row.document_type for row in get_settings().enabled_doctypes]


def require_enabled(doctype: str) -> None:
	if doctype not in enabled_doctypes():
		frappe.throw(_("Signing is not enabled for {0}").format(_(doctype)))


def contact_fields(doctype: str) -> ContactFields:
	for row in get_settings().enabled_doctypes:
		if row.document_type == doctype:
			return ContactFields(
				row.email_field or "",
				row.mobile_field or "",
				row.name_field or "",
				row.company_signer_field or "",
			)
	if doctype in DEFAULT_CONTACT_FIELDS:
		return ContactFields(**DEFAULT_CONTACT_FIELDS[doctype])
	frappe.throw(
		_("Electronic signatures are not enabled for {0}. Add it in Sign Settings.").format(_(doctype)),
		title=_("Not enabled"),
	)


def token_secret() -> bytes:
	"""Tokens and one-time codes are HMAC'd with the site's encryption key (never stored with them)."""
	from frappe.utils.password import get_encryption_key

	return get_encryption_key().encode()


def site_variables() -> dict[str, str]:
	"""Named constants from Sign Settings, usable as var:name in templates and in rule conditions."""
	return {row.constant_name: row.value for row in get_settings().constants if row.constant_name}


def timestamp_servers(text: str | None) -> list[str]:
	"""The Allowed Timestamp Servers of Sign Settings, one URL a line."""
	return [line.strip() for line in (text or "").splitlines() if line.strip()]


def is_https_url(url: str) -> bool:
	from urllib.parse import urlsplit

	try:
		parts = urlsplit(url)
	except ValueError:
		return False
	return parts.scheme == "https" and bool(parts.hostname) and not parts.username and not parts.password


def _same_url(url: str) -> str:
	return url.strip().rstrip("/").lower()


def is_allowed_timestamp_url(url: str | None, allowed: str | None) -> bool:
	"""True when `url` is an https URL on the System Manager's list `allowed`."""
	url = (url or "").strip()
	if not url or not is_https_url(url):
		return False
	return _same_url(url) in {_same_url(server) for server in timestamp_servers(allowed)}


def allowed_timestamp_url() -> str | None:
	"""The Timestamp URL for sealing, only when it is on the Allowed Timestamp Servers (https). Sign
	Managers edit the URL, only System Managers the list, so the worker never calls a URL of their
	choosing; a URL that is not (or no longer) allowed seals without a timestamp."""
	settings = get_settings()
	url = (settings.timestamp_url or "").strip()
	return url if is_allowed_timestamp_url(url, settings.get("allowed_timestamp_servers")) else None
