"""The site's seal certificate: generated on install, replaceable by an uploaded PKCS#12."""

from __future__ import annotations

import frappe
from frappe import _

from crm_sign.engine.errors import CertificateError
from crm_sign.engine.seal import (
	SealCertificate,
	certificate_fingerprint,
	certificate_pem,
	generate_self_signed,
	validate_certificate,
)


def site_seal_certificate() -> SealCertificate:
	settings = frappe.get_single("Sign Settings")
	if not settings.seal_certificate:
		ensure_seal_certificate()
		settings = frappe.get_single("Sign Settings")
	content = frappe.get_doc("File", {"file_url": settings.seal_certificate}).get_content()
	content = content.encode() if isinstance(content, str) else content
	password = settings.get_password("seal_certificate_password", raise_exception=False) or ""
	return SealCertificate(content, password.encode())


def ensure_seal_certificate() -> None:
	"""Generate a self-signed seal for the site when none is configured (install and migrate)."""
	settings = frappe.get_single("Sign Settings")
	if settings.seal_certificate:
		return
	company = frappe.defaults.get_global_default("company") or frappe.local.site
	password = frappe.generate_hash(length=32)
	certificate = generate_self_signed(f"{company} e-Seal", company, password=password)
	file = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": "crm_sign_seal.p12",
			"content": certificate.p12,
			"is_private": 1,
			"attached_to_doctype": "Sign Settings",
			"attached_to_name": "Sign Settings",
			"attached_to_field": "seal_certificate",
		}
	).insert(ignore_permissions=True)
	settings.seal_certificate = file.file_url
	settings.seal_certificate_password = password
	settings.seal_subject = certificate.subject
	settings.seal_fingerprint = certificate_fingerprint(certificate)
	settings.flags.ignore_permissions = True
	settings.save()


def check_uploaded_certificate(settings) -> None:
	"""Called from Sign Settings.validate: refuse a bundle that cannot seal."""
	if not settings.seal_certificate or not settings.has_value_changed("seal_certificate"):
		return
	content = frappe.get_doc("File", {"file_url": settings.seal_certificate}).get_content()
	content = content.encode() if isinstance(content, str) else content
	password = settings.seal_certificate_password
	if not password or set(password) == {"*"}:
		password = settings.get_password("seal_certificate_password", raise_exception=False) or ""
	try:
		settings.seal_subject = validate_certificate(content, password)
		settings.seal_fingerprint = certificate_fingerprint(SealCertificate(content, password.encode()))
	except CertificateError as e:
		frappe.throw(
			_("The seal certificate cannot be used: {0}").format(str(e)), title=_("Invalid certificate")
		)


@frappe.whitelist(methods=["GET"])
def download_seal_certificate() -> None:
	"""The site's public seal certificate (PEM), for `crm-sign verify --cert` and PDF readers."""
	frappe.has_permission("Sign Settings", "read", throw=True)
	frappe.local.response.filename = "crm_sign_seal.pem"
	frappe.local.response.filecontent = certificate_pem(site_seal_certificate())
	frappe.local.response.type = "download"
