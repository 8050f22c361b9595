"""Envelopes: one Sign Request carrying several documents, signed in one visit.

Besides its template, a request may carry more templates of the record's doctype and PDFs the sender
uploads. Each document is made as it would be on its own (the record's values, the verification
footer); then they are put one after the other into the one document the signers see (engine/envelope.py),
with every field moved to its page there. The roles, the signing order, the channel and the link's
life come from the request's own template. At the end each document is sealed as a file of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import frappe
from frappe import _

from crm_sign.engine.envelope import EnvelopePart, combine
from crm_sign.engine.errors import InvalidPDFError
from crm_sign.engine.fields import Field, FieldValue
from crm_sign.engine.pdf import VerificationFooter, stamp
from crm_sign.signing.documents import (
	FILLED_BY_LABELS,
	check_pdf,
	pdf_problem,
	place_fields,
	prefilled_values,
	render_template_pdf,
	sendable_template,
	template_fields,
)
from crm_sign.signing.signer_fields import plain_text

MAX_DOCUMENTS = 10  # one visit; a signer reading more than this is better served by several requests


@dataclass
class PreparedDocument:
	"""One document as the signers will see it, before it joins the others."""

	title: str
	pdf: bytes
	template: Any = None  # the Sign Template, or None for an uploaded PDF
	source_file: str = ""
	fields: list[Field] = field(default_factory=list)
	prefilled: list[FieldValue] = field(default_factory=list)


def prepare_template_document(template, doc, footer: VerificationFooter) -> PreparedDocument:
	"""The template's document for `doc`, with the record's values and the footer stamped in."""
	rendered = render_template_pdf(template, doc)
	fields, hits = place_fields(template_fields(template), rendered)
	prefilled = prefilled_values(doc, fields)
	pdf = stamp(rendered, prefilled, hide=hits, footer=footer)
	return PreparedDocument(template.template_name or template.name, pdf, template, "", fields, prefilled)


def more_documents(
	doc, template, documents: str | list | None, footer: VerificationFooter
) -> list[PreparedDocument]:
	"""The documents the sender added to the template's: [{"template": name}] or [{"file_url": url}]."""
	items = json.loads(documents) if isinstance(documents, str) and documents else (documents or [])
	if not isinstance(items, list):
		frappe.throw(_("Invalid list of documents"))
	if len(items) + 1 > MAX_DOCUMENTS:
		frappe.throw(_("An envelope holds at most {0} documents.").format(MAX_DOCUMENTS))
	seen = {template.name}
	prepared = []
	for item in items:
		item = item if isinstance(item, dict) else {}
		if item.get("template"):
			other = _other_template(doc, str(item["template"]), seen)
			prepared.append(prepare_template_document(other, doc, footer))
		elif item.get("file_url"):
			title, content = _uploaded_pdf(str(item["file_url"]))
			pdf = stamp(check_pdf(content), [], footer=footer)
			prepared.append(PreparedDocument(title, pdf, None, str(item["file_url"])))
		else:
			frappe.throw(_("Each added document needs a template or a PDF file."))
	return prepared


def _other_template(doc, name: str, seen: set[str]):
	if name in seen:
		frappe.throw(_("Sign Template {0} is in the envelope twice.").format(name))
	seen.add(name)
	if not frappe.db.exists("Sign Template", name):
		frappe.throw(_("Sign Template {0} not found").format(name), frappe.DoesNotExistError)
	frappe.has_permission("Sign Template", "read", name, throw=True)
	return sendable_template(name, doc)


def _uploaded_pdf(file_url: str) -> tuple[str, bytes]:
	"""A PDF the sender uploaded (or may read): its name and content. Only through the File's own
	permission, so a URL cannot reach a private file the sender may not open."""
	name = frappe.db.get_value("File", {"file_url": file_url, "is_folder": 0}, "name")
	if not name:
		frappe.throw(_("The file {0} was not found.").format(file_url), frappe.DoesNotExistError)
	file = frappe.get_doc("File", name)
	if not frappe.has_permission("File", "read", file):
		frappe.throw(_("You may not read the file {0}.").format(file.file_name), frappe.PermissionError)
	if not (file.file_name or "").lower().endswith(".pdf"):
		frappe.throw(_("Only PDF files can be added to an envelope ({0}).").format(file.file_name))
	content = file.get_content()
	content = content.encode() if isinstance(content, str) else content
	title = plain_text((file.file_name or "")[: -len(".pdf")] or file.file_name, 140)
	return title, content


def signer_labels(prepared: list[PreparedDocument]) -> dict[str, str]:
	"""The signer each field of the templates is given to, by field name (empty: its side's first)."""
	return {
		row.name: (row.get("signer_label") or "").strip()
		for document in prepared
		if document.template
		for row in document.template.fields
	}


def check_signer_labels(prepared: list[PreparedDocument], people: list) -> None:
	"""Every field of an added template must belong to a signer of the request: its roles are the
	request template's, and a field nobody can fill would leave the request unsignable."""
	labels = {(person.side, person.label) for person in people}
	given = signer_labels(prepared)
	for document in prepared:
		for f in document.fields:
			label = given.get(f.name, "")
			if label and (FILLED_BY_LABELS.get(f.role), label) not in labels:
				frappe.throw(
					_(
						"Sign Template {0} has a field for the signer {1}, who is not one of this request's signers."
					).format(document.template.name, label),
					title=_("Signer missing"),
				)


def document_rows(prepared: list[PreparedDocument], parts: list[EnvelopePart]) -> list[dict]:
	"""The request's Sign Request Document rows: none for a single document."""
	return (
		[
			{
				"document_title": document.title,
				"template": document.template.name if document.template else None,
				"source_file": document.source_file,
				"first_page": part.first_page + 1,
				"page_count": part.page_count,
			}
			for document, part in zip(prepared, parts, strict=True)
		]
		if parts
		else []
	)


def combined(prepared: list[PreparedDocument]) -> tuple[bytes, list[Field], list[EnvelopePart]]:
	"""The one document the signers see, its fields on their pages there, and each document's pages."""
	try:
		pdf, parts = combine([(document.title, document.pdf) for document in prepared])
	except InvalidPDFError as e:
		frappe.throw(pdf_problem(e), title=_("Unusable PDF"))
	fields = [
		f.placed(f.page + part.first_page, f.box) if part.first_page and f.is_placed else f
		for document, part in zip(prepared, parts, strict=True)
		for f in document.fields
	]
	return check_pdf(pdf), fields, parts


def envelope_parts(request) -> list[EnvelopePart]:
	"""Where each document of an envelope request is in the document its signers saw."""
	return [
		EnvelopePart(row.document_title or "", (row.first_page or 1) - 1, row.page_count or 0)
		for row in request.get("documents") or []
	]
