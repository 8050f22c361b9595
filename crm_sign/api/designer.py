"""Whitelisted endpoints for the template designer page (/app/sign-designer/<template>)."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlencode

import frappe
from frappe import _
from frappe.model import no_value_fields, table_fields
from frappe.utils import cint, flt

from crm_sign.engine.anchors import AnchorHit, anchor_key, field_box_for, find_anchors, kind_to_field_type
from crm_sign.engine.errors import SignEngineError
from crm_sign.engine.expressions import FUNCTIONS
from crm_sign.engine.fields import Field, FieldType
from crm_sign.signing.documents import FIELD_TYPE_LABELS, FIELD_TYPES, FILLED_BY, render_template_pdf
from crm_sign.signing.settings import site_variables

# The columns of a Sign Template Field row the designer reads and writes.
ROW_KEYS = (
	"field_label",
	"field_type",
	"filled_by",
	"signer_label",
	"source",
	"value_format",
	"required",
	"page",
	"pos_x",
	"pos_y",
	"width",
	"height",
	"anchor",
	"font_size",
)
BOX_KEYS = ("pos_x", "pos_y", "width", "height")
# Anchor roles that mean "the company signs here"; any other role is the counterparty's.
COMPANY_ROLES = {"company", "provider", "seller", "vendor", "supplier", "us"}
PDF_CACHE_SECONDS = 600
SKIPPED_FIELDTYPES = {*no_value_fields, "Password", "Attach Image", "Signature"} - set(table_fields)


@frappe.whitelist()
def get_designer_data(template: str) -> dict:
	"""Everything the designer needs: the rows, the document's URL, anchor suggestions, the field tree."""
	doc = _template(template, "read")
	pdf, record, version = _document(doc)
	hits = _anchor_hits(pdf)
	rows = [{key: row.get(key) for key in ("name", *ROW_KEYS)} for row in doc.fields]
	_place_anchored_rows(rows, hits)
	return {
		"template": {
			"name": doc.name,
			"template_name": doc.template_name,
			"reference_doctype": doc.reference_doctype,
			"source_type": doc.source_type,
			"print_format": doc.print_format,
			"pdf_file": doc.pdf_file,
			"modified": str(doc.modified),
		},
		"record": record,
		"pdf_url": "/api/method/crm_sign.api.designer.designer_pdf?"
		+ urlencode({"template": doc.name, "v": version}),
		"fields": rows,
		"suggestions": _suggestions(hits, doc.fields),
		"field_tree": field_tree(doc.reference_doctype),
		"variables": sorted(site_variables()),
		"functions": sorted(FUNCTIONS),
		"field_types": list(FIELD_TYPES),
		"filled_by": list(FILLED_BY),
		# the template's signing roles by side, for the field's Signer
		"roles": _signing_roles(doc),
		"can_write": bool(doc.has_permission("write")),
	}


@frappe.whitelist(methods=["GET"])
def designer_pdf(template: str, v: str | None = None) -> None:
	"""The template's document as the designer shows it (streams the PDF; `v` only busts caches)."""
	doc = _template(template, "read")
	pdf, _record, _version = _document(doc)
	frappe.local.response.filename = f"{doc.template_name}.pdf"
	frappe.local.response.filecontent = pdf
	frappe.local.response.type = "pdf"


@frappe.whitelist(methods=["POST"])
def save_fields(template: str, fields: str | list, modified: str | None = None) -> int:
	"""Replace the template's field rows; the Sign Template controller validates each row on save.

	`modified` is the template's timestamp the designer loaded; a mismatch means someone else saved
	the template in between, and their work is not overwritten silently.
	"""
	doc = _template(template, "write")
	if modified and str(doc.modified) != str(modified):
		frappe.throw(
			_("{0} was changed by someone else after you opened the designer. Reload and try again.").format(
				frappe.bold(doc.name)
			),
			frappe.TimestampMismatchError,
			title=_("Template changed"),
		)
	rows = json.loads(fields) if isinstance(fields, str) else fields
	if not isinstance(rows, list):
		frappe.throw(_("Fields must be a list of rows"))
	doc.set("fields", [])
	for row in rows:
		if not isinstance(row, dict):
			frappe.throw(_("Each field must be an object"))
		doc.append("fields", _clean_row(row))
	doc.save()
	return len(doc.fields)


# ------------------------------------------------------------------------------------------ helpers


def _signing_roles(doc) -> dict[str, list[str]]:
	from crm_sign.signing.settings import get_settings
	from crm_sign.signing.signers import CC, template_roles

	roles: dict[str, list[str]] = {}
	order = doc.signing_order or get_settings().signing_order or "Company first"
	for role in template_roles(doc, order):
		if role.side != CC:
			roles.setdefault(role.side, []).append(role.label)
	return roles


def _template(template: str, ptype: str):
	doc = frappe.get_doc("Sign Template", template)
	doc.check_permission(ptype)
	return doc


def _clean_row(row: dict) -> dict:
	"""Only the designer's columns, with types coerced; the controller decides what is valid."""
	field_type = row.get("field_type") or "Text"
	filled_by = row.get("filled_by") or "Prefilled"
	if field_type not in FIELD_TYPES:
		frappe.throw(_("Unknown field type {0}").format(frappe.bold(field_type)))
	if filled_by not in FILLED_BY:
		frappe.throw(_("Unknown value for Filled By: {0}").format(frappe.bold(filled_by)))
	anchor = (row.get("anchor") or "").strip()
	has_box = all(flt(row.get(key)) > 0 for key in ("width", "height"))
	clean = {
		"field_label": (row.get("field_label") or "").strip() or _(field_type),
		"field_type": field_type,
		"filled_by": filled_by,
		# the role (by label) that fills it; the controller checks it names a role of this side
		"signer_label": (row.get("signer_label") or "").strip() if filled_by != "Prefilled" else "",
		"source": (row.get("source") or "").strip() if filled_by == "Prefilled" else "",
		"value_format": (row.get("value_format") or "").strip(),
		"required": 1 if cint(row.get("required")) else 0,
		"page": cint(row.get("page")) or 1,
		"anchor": "" if has_box else anchor,
		"font_size": flt(row.get("font_size")) or 10,
	}
	for key in BOX_KEYS:
		clean[key] = round(flt(row.get(key)), 4) if has_box else 0
	return clean


def _document(doc) -> tuple[bytes, str | None, str]:
	"""The PDF shown in the designer, the record it was rendered for (None for an uploaded PDF) and a
	version string that changes only when the document does (not when the template's fields do)."""
	record = None
	if doc.source_type == "Uploaded PDF":
		parts = ["pdf", doc.pdf_file]
	else:
		names = frappe.get_list(doc.reference_doctype, pluck="name", order_by="modified desc", limit=1)
		if not names:
			frappe.throw(
				_(
					"The designer shows the Print Format filled in for the latest {0}. Create a {0} first."
				).format(_(doc.reference_doctype)),
				title=_("No record to render"),
			)
		record = names[0]
		parts = [
			"print",
			doc.print_format,
			str(frappe.db.get_value("Print Format", doc.print_format, "modified") or ""),
			record,
			str(frappe.db.get_value(doc.reference_doctype, record, "modified")),
		]
	version = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:12]
	key = f"crm_sign:designer:{doc.name}:{version}"
	pdf = frappe.cache.get_value(key, user=frappe.session.user, expires=True)
	if not pdf:
		target = frappe.get_doc(doc.reference_doctype, record) if record else None
		pdf = render_template_pdf(doc, target)
		frappe.cache.set_value(key, pdf, user=frappe.session.user, expires_in_sec=PDF_CACHE_SECONDS)
	return pdf, record, version


def _anchor_hits(pdf: bytes) -> list[AnchorHit]:
	try:
		return find_anchors(pdf)
	except SignEngineError:
		# The designer still works without suggestions when the text layer cannot be read.
		return []


def _field_type(kind: str) -> FieldType | None:
	try:
		return kind_to_field_type(kind)
	except SignEngineError:
		return None


def _box(box) -> dict:
	return {
		"pos_x": round(box.x, 4),
		"pos_y": round(box.y, 4),
		"width": round(box.w, 4),
		"height": round(box.h, 4),
	}


def _suggestions(hits: list[AnchorHit], rows) -> list[dict]:
	"""One suggested field per anchor tag found in the document, marked when a row already uses it."""
	used: dict[str, int] = {}
	for row in rows:
		if (row.anchor or "").strip() and not (flt(row.width) and flt(row.height)):
			key = anchor_key(row.anchor)
			used[key] = used.get(key, 0) + 1
	seen: dict[str, int] = {}
	suggestions = []
	for hit in sorted(hits, key=lambda h: (h.page, h.box.y, h.box.x)):
		field_type = _field_type(hit.kind)
		if field_type is None:
			continue
		seen[hit.key] = seen.get(hit.key, 0) + 1
		label = FIELD_TYPE_LABELS[field_type]
		box = field_box_for(Field(name="suggestion", type=field_type, anchor=hit.tag), hit)
		suggestions.append(
			{
				"tag": hit.tag,
				"key": hit.key,
				"role": hit.role,
				"field_type": label,
				"filled_by": "Company" if hit.role in COMPANY_ROLES else "Counterparty",
				"field_label": f"{_(label)} ({hit.role})" if hit.role else _(label),
				"page": hit.page + 1,
				"tag_box": _box(hit.box),
				**_box(box),
				"accepted": seen[hit.key] <= used.get(hit.key, 0),
			}
		)
	return suggestions


def _place_anchored_rows(rows: list[dict], hits: list[AnchorHit]) -> None:
	"""Where each anchored row lands in this document (for display); `anchor_missing` when it does not."""
	by_key: dict[str, list[AnchorHit]] = {}
	for hit in sorted(hits, key=lambda h: (h.page, h.box.y, h.box.x)):
		by_key.setdefault(hit.key, []).append(hit)
	used: dict[str, int] = {}
	for row in rows:
		anchor = (row.get("anchor") or "").strip()
		if not anchor or (flt(row.get("width")) and flt(row.get("height"))):
			continue
		key = anchor_key(anchor)
		found = by_key.get(key)
		if not found:
			row["anchor_missing"] = 1
			continue
		k = used.get(key, 0)
		used[key] = k + 1
		hit = found[k] if k < len(found) else found[0]
		field = Field(
			name=row.get("name") or "row",
			type=FIELD_TYPES.get(row.get("field_type"), FieldType.TEXT),
			anchor=anchor,
			font_size=flt(row.get("font_size")) or 10,
		)
		row["placement"] = {"page": hit.page + 1, **_box(field_box_for(field, hit))}


def field_tree(doctype: str) -> list[dict]:
	"""The record's fields for the source picker, with one level of Link targets (``customer.email_id``)
	and child tables (``items[0].item_name``)."""
	nodes = [{"path": "name", "label": _("ID"), "fieldtype": "Data"}]
	for df in frappe.get_meta(doctype).fields:
		if df.fieldtype in SKIPPED_FIELDTYPES:
			continue
		node = {"path": df.fieldname, "label": _(df.label or df.fieldname), "fieldtype": df.fieldtype}
		if df.fieldtype == "Link" and df.options and df.options != "DocType":
			node["options"] = df.options
			node["children"] = _leaf_fields(df.options, f"{df.fieldname}.")
		elif df.fieldtype in table_fields and df.options:
			node["options"] = df.options
			node["children"] = _leaf_fields(df.options, f"{df.fieldname}[0].")
		nodes.append(node)
	return nodes


def _leaf_fields(doctype: str, prefix: str) -> list[dict]:
	if not frappe.db.exists("DocType", doctype):
		return []
	leaves = [{"path": f"{prefix}name", "label": _("ID"), "fieldtype": "Data"}]
	for df in frappe.get_meta(doctype).fields:
		if df.fieldtype in SKIPPED_FIELDTYPES or df.fieldtype in table_fields:
			continue
		leaves.append(
			{"path": prefix + df.fieldname, "label": _(df.label or df.fieldname), "fieldtype": df.fieldtype}
		)
	return leaves
