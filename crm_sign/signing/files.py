"""The PDFs a request and a template work from, found by what they are attached to.

A file URL in a field is only a pointer anybody with write could aim at another private file, so
every read goes through the File that is attached to this very document and field, and a request's
documents must still hash to what the request recorded when they were made.
"""

from __future__ import annotations

import frappe
from frappe import _

from crm_sign.engine.pdf import sha256_hex


class EvidenceMismatchError(frappe.ValidationError):
	"""A stored document no longer matches the hash the request recorded for it."""


def attached_file_bytes(doctype: str, name: str, fieldname: str, file_url: str | None) -> bytes:
	"""The content of the File attached to `doctype` `name` in `fieldname` with `file_url`."""
	file_name = file_url and frappe.db.get_value(
		"File",
		{
			"file_url": file_url,
			"attached_to_doctype": doctype,
			"attached_to_name": name,
			"attached_to_field": fieldname,
		},
		"name",
	)
	if not file_name:
		frappe.throw(
			_("The document of {0} {1} is missing.").format(_(doctype), name), frappe.DoesNotExistError
		)
	content = frappe.get_doc("File", file_name).get_content()
	return content.encode() if isinstance(content, str) else content


def _checked(content: bytes, expected_sha256: str | None, request_name: str) -> bytes:
	if not expected_sha256 or sha256_hex(content) != expected_sha256:
		frappe.throw(
			_("The stored document of Sign Request {0} does not match its recorded hash.").format(
				request_name
			),
			EvidenceMismatchError,
			title=_("Evidence mismatch"),
		)
	return content


def unsigned_document(request) -> bytes:
	"""The document as it was sent, checked against `original_sha256`."""
	content = attached_file_bytes("Sign Request", request.name, "unsigned_pdf", request.unsigned_pdf)
	return _checked(content, request.original_sha256, request.name)


def current_document(request) -> bytes:
	"""What a signer is shown now: the sent document with the values signed so far stamped in."""
	if not request.get("current_pdf"):
		return unsigned_document(request)
	content = attached_file_bytes("Sign Request", request.name, "current_pdf", request.current_pdf)
	return _checked(content, request.current_sha256, request.name)


def signed_document(request, number: int = 1) -> bytes:
	"""The sealed file; of an envelope, its document `number` (from 1), read through its own File."""
	rows = request.get("documents") or []
	file_url = rows[number - 1].signed_pdf if rows else request.signed_pdf
	return attached_file_bytes("Sign Request", request.name, "signed_pdf", file_url)


def signed_documents(request) -> list[bytes]:
	"""The sealed file, or each sealed document of an envelope."""
	count = len(request.get("documents") or []) or 1
	return [signed_document(request, number) for number in range(1, count + 1)]


def template_pdf(template) -> bytes:
	if not template.pdf_file:
		frappe.throw(_("Sign Template {0} has no PDF file").format(template.name))
	if not _template_file(template):
		# A template saved before its file was tied to it may adopt a file no other document owns.
		owners = frappe.get_all("File", filters={"file_url": template.pdf_file}, pluck="attached_to_doctype")
		if owners and all(owner in (None, "", "Sign Template") for owner in owners):
			attach_template_pdf(template)
	return attached_file_bytes("Sign Template", template.name, "pdf_file", template.pdf_file)


def _template_file(template) -> str | None:
	return frappe.db.exists(
		"File",
		{
			"file_url": template.pdf_file,
			"attached_to_doctype": "Sign Template",
			"attached_to_name": template.name,
			"attached_to_field": "pdf_file",
		},
	)


def attach_template_pdf(template) -> None:
	"""A File attached to the template for its pdf_file (Sign Template.on_update). Frappe's own
	attach_files_to_document does the same, but swallows its errors: this one says what went wrong."""
	if not template.pdf_file or _template_file(template):
		return
	source = frappe.db.get_value(
		"File", {"file_url": template.pdf_file}, ["file_name", "is_private"], as_dict=True
	)
	if not source:
		frappe.throw(_("The file {0} does not exist.").format(template.pdf_file), frappe.DoesNotExistError)
	frappe.get_doc(
		{
			"doctype": "File",
			"file_url": template.pdf_file,
			"file_name": source.file_name,
			"is_private": source.is_private,
			"attached_to_doctype": "Sign Template",
			"attached_to_name": template.name,
			"attached_to_field": "pdf_file",
		}
	).insert(ignore_permissions=True)


def check_file_readable(file_url: str) -> str:
	"""Refuse a file URL the current user may not read (a template must not point at another
	document's private file: Frappe attaches whatever URL an Attach field holds on save). Returns the
	name of a File with that URL the user may read."""
	names = frappe.get_all("File", filters={"file_url": file_url}, pluck="name")
	readable = next((name for name in names if frappe.has_permission("File", "read", doc=name)), None)
	if readable is None:
		frappe.throw(
			_("You cannot use the file {0}: it does not exist or you may not read it.").format(file_url),
			frappe.PermissionError,
		)
	return readable
