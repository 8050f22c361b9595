"""Build a template's document for a record: render, place fields, resolve prefilled values."""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _

from crm_sign.engine.anchors import AnchorHit, find_anchors, place_anchored_fields
from crm_sign.engine.errors import (
	EncryptedPDFError,
	FieldPathError,
	InvalidPDFError,
	SignEngineError,
)
from crm_sign.engine.fieldmap import FieldMapContext, FormatSettings, resolve_fields
from crm_sign.engine.fields import Box, Field, FieldType, FieldValue, FillerRole
from crm_sign.engine.pdf import prepare_pdf
from crm_sign.signing.settings import site_variables

FIELD_TYPES = {
	"Text": FieldType.TEXT,
	"Long Text": FieldType.LONG_TEXT,
	"Date": FieldType.DATE,
	"Checkbox": FieldType.CHECKBOX,
	"Signature": FieldType.SIGNATURE,
	"Initials": FieldType.INITIALS,
	"Full Name": FieldType.FULL_NAME,
	"Email": FieldType.EMAIL,
	"Phone": FieldType.PHONE,
	"Image": FieldType.IMAGE,
}
FILLED_BY = {
	"Prefilled": FillerRole.PREFILLED,
	"Company": FillerRole.COMPANY,
	"Counterparty": FillerRole.COUNTERPARTY,
}
FIELD_TYPE_LABELS = {v: k for k, v in FIELD_TYPES.items()}
FILLED_BY_LABELS = {v: k for k, v in FILLED_BY.items()}


class LinkedRecord(dict):
	"""A linked document's values that still prints as the link's name (``customer`` vs ``customer.x``)."""

	def __str__(self) -> str:
		return str(self.get("name", ""))


def sendable_template(name: str, doc):
	"""Sign Template `name`, when it may make a document for `doc`: of its doctype, and enabled."""
	template = frappe.get_doc("Sign Template", name)
	if template.reference_doctype != doc.doctype:
		frappe.throw(
			_("Sign Template {0} is for {1}, not {2}").format(
				template.name, _(template.reference_doctype), _(doc.doctype)
			)
		)
	if not template.enabled:
		frappe.throw(_("Sign Template {0} is disabled").format(template.name))
	return template


def render_template_pdf(template, doc) -> bytes:
	"""The template's document for `doc`: its Print Format rendered by Frappe, or the uploaded PDF."""
	if template.source_type == "Uploaded PDF":
		from crm_sign.signing.files import template_pdf

		data = template_pdf(template)
	else:
		data = frappe.get_print(
			doc.doctype,
			doc.name,
			print_format=template.print_format or None,
			doc=without_anchor_tags(doc),
			as_pdf=True,
			no_letterhead=0,
		)
	return check_pdf(data)


ANCHOR_OPENING = "{{"
NEUTRAL_OPENING = "{\u200b{"  # a zero-width space: prints the same, is no tag for find_anchors


def without_anchor_tags(doc):
	"""A copy of `doc` whose values cannot print an anchor tag: a Lead named "{{sign:company}}" must
	not move the company's signature. Only the template's own text places fields."""
	copy = frappe.get_doc(doc.as_dict())
	for row in (copy, *copy.get_all_children()):
		for key, value in row.as_dict().items():
			if isinstance(value, str) and ANCHOR_OPENING in value:
				row.set(key, value.replace(ANCHOR_OPENING, NEUTRAL_OPENING))
	return copy


def check_pdf(data: bytes) -> bytes:
	"""The document to send: `data` when sound, the repaired copy when qpdf can repair it. Anything else
	is refused now, with a translated reason, rather than after the customer has signed."""
	try:
		return prepare_pdf(data)
	except InvalidPDFError as e:
		title = _("Encrypted PDF") if isinstance(e, EncryptedPDFError) else _("Unusable PDF")
		frappe.throw(pdf_problem(e), title=title)


def pdf_problem(error: SignEngineError) -> str:
	"""The translated sentence for one of the engine's PDF problems (crm_sign.engine.pdf.PDF_PROBLEMS)."""
	messages = {
		"not_pdf": _("The file is not a PDF."),
		"truncated": _("The PDF is truncated or incomplete."),
		"damaged": _("The PDF is damaged and could not be repaired."),
		"page_tree": _("The PDF's list of pages is damaged."),
		"no_pages": _("The PDF has no pages."),
		"encrypted": _("The PDF is encrypted or password-protected; upload an unprotected copy."),
		"certificate_encrypted": _(
			"The PDF is encrypted for particular recipients (certificate security); upload an unprotected copy."
		),
		"signed_damaged": _(
			"The PDF carries signatures but its structure is damaged: repairing it would break them. "
			"Ask the sender for an intact copy."
		),
		"no_changes": _(
			"The PDF was certified with a signature that allows no changes, so it cannot be signed again."
		),
		"signature_invalid": _(
			"A signature already in the PDF does not verify, so sealing it would look as if we had broken it. "
			"Ask the sender for a correctly signed copy."
		),
		"signed_in_envelope": _(
			"The PDF already carries a signature, which putting it into an envelope would drop. Send it on its own."
		),
		"unsupported": _("The PDF's internal structure is not supported and could not be repaired."),
		"stamp_failed": _("The values could not be drawn into this PDF."),
		"seal_failed": _("The PDF could not be sealed."),
	}
	return messages.get(getattr(error, "code", ""), _("The file is not a readable PDF."))


def template_fields(template) -> list[Field]:
	fields = []
	for row in template.fields:
		has_box = all(row.get(k) for k in ("width", "height"))
		fields.append(
			Field(
				name=row.name or f"field{row.idx}",
				type=FIELD_TYPES.get(row.field_type, FieldType.TEXT),
				role=FILLED_BY.get(row.filled_by, FillerRole.PREFILLED),
				page=(row.page or 1) - 1 if has_box else None,
				box=Box(row.pos_x or 0, row.pos_y or 0, row.width, row.height) if has_box else None,
				anchor=(row.anchor or "").strip() or None if not has_box else None,
				font_size=row.font_size or 10,
				required=bool(row.required),
				source=row.source,
				label=row.field_label,
				format=row.value_format,
			)
		)
	return fields


def place_fields(fields: list[Field], pdf: bytes) -> tuple[list[Field], list[AnchorHit]]:
	"""Resolve anchor fields; fields for anchors the document lacks are reported clearly."""
	hits = find_anchors(pdf)
	try:
		return place_anchored_fields(fields, hits), hits
	except SignEngineError as e:
		frappe.throw(_("The document does not match the template: {0}").format(str(e)))


def format_settings(doc) -> FormatSettings:
	from frappe.utils import cint

	system = frappe.get_system_settings
	return FormatSettings(
		date_format=system("date_format") or "dd-mm-yyyy",
		number_format=system("number_format") or "#,###.##",
		currency_precision=cint(system("currency_precision") or 2),
		currency=doc.get("currency") or "",
	)


def record_context(doc, fields: list[Field]) -> dict[str, Any]:
	"""`doc` as a dict, with Link fields named by a dotted source expanded into the linked document."""
	record = doc.as_dict(convert_dates_to_str=True, no_default_fields=False)
	meta = frappe.get_meta(doc.doctype)
	for field in fields:
		source = (field.source or "").lstrip("=")
		for token in _dotted_roots(source):
			df = meta.get_field(token)
			if not df or df.fieldtype not in ("Link", "Dynamic Link") or isinstance(record.get(token), dict):
				continue
			target = df.options if df.fieldtype == "Link" else doc.get(df.options)
			value = doc.get(token)
			if target and value and frappe.db.exists(target, value):
				linked = frappe.get_doc(target, value)
				if frappe.has_permission(target, "read", linked):
					record[token] = LinkedRecord(linked.as_dict(convert_dates_to_str=True))
	return record


def _dotted_roots(source: str) -> set[str]:
	import re

	return set(re.findall(r"(?<![\w.\]])([A-Za-z_]\w*)\s*\.", source))


def prefilled_values(doc, fields: list[Field]) -> list[FieldValue]:
	context = FieldMapContext(record_context(doc, fields), site_variables(), format_settings(doc))
	try:
		return resolve_fields(fields, context)
	except FieldPathError as e:
		frappe.throw(
			_("The template reads {0}, which {1} {2} does not have. Fill it in or fix the template.").format(
				e.path, _(doc.doctype), doc.name
			),
			title=_("Missing value"),
		)
	except SignEngineError as e:
		frappe.throw(_("The template's field map cannot be evaluated: {0}").format(str(e)))
