"""Check what a signer submits before it touches the document."""

from __future__ import annotations

import base64
import re

import frappe
from frappe import _

from crm_sign.engine.errors import InvalidImageError
from crm_sign.engine.images import load_image

MAX_SIGNATURE_BYTES = 500_000
MAX_TEXT_LENGTH = 2000
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()./-]{4,24}$")


def plain_text(value: str | None, limit: int = MAX_TEXT_LENGTH) -> str:
	"""Text a guest or a user typed, made harmless before it is stored, and nothing of it lost: angle
	brackets become ‹ › (no tag can form wherever the desk puts it, grids and lists included, which
	do not escape), control characters go. For names, reasons and user agents."""
	text = CONTROL_CHARACTERS.sub("", str(value or ""))
	return text.replace("<", "‹").replace(">", "›").strip()[:limit]


def validated_values(fields: list, row, values: dict[str, str], signature_image: str) -> dict[str, str]:
	"""The signer's values for `fields` (their value rows) by field name; images become PNG data
	URLs. Raises a clear error otherwise."""
	check_signature_image(signature_image)
	clean: dict[str, str] = {}
	for field in fields:
		if field.field_type in ("Signature", "Initials"):
			raw = values.get(field.field_name) or signature_image
			check_signature_image(raw)
			clean[field.field_name] = raw
			continue
		if field.field_type == "Image":
			# A photo or a stamp the signer uploads: an image, like a signature, never free text.
			raw = values.get(field.field_name) or ""
			if raw:
				check_signature_image(raw, formats=("PNG", "JPEG"))
			elif field.required:
				frappe.throw(_("Please fill in {0}").format(field.field_label or field.field_name))
			clean[field.field_name] = raw
			continue
		value = values.get(field.field_name)
		if field.field_type == "Full Name" and not value:
			value = row.signer_name
		if field.field_type == "Date":
			# The signing date is the server's, whatever the browser sends.
			value = frappe.utils.formatdate(frappe.utils.nowdate())
		if field.field_type == "Checkbox":
			value = "1" if str(value).lower() in ("1", "true", "on", "yes") else "0"
			if field.required and value != "1":
				frappe.throw(_("Please tick {0}").format(field.field_label or field.field_name))
		value = "" if value is None else str(value).strip()
		if len(value) > MAX_TEXT_LENGTH:
			frappe.throw(_("{0} is too long").format(field.field_label or field.field_name))
		if field.required and not value:
			frappe.throw(_("Please fill in {0}").format(field.field_label or field.field_name))
		if value and field.field_type == "Email" and not EMAIL_PATTERN.match(value):
			frappe.throw(_("{0} is not a valid e-mail address").format(value))
		if value and field.field_type == "Phone" and not PHONE_PATTERN.match(value):
			frappe.throw(_("{0} is not a valid phone number").format(value))
		clean[field.field_name] = value
	return clean


def check_signature_image(data_url: str, formats: tuple[str, ...] = ("PNG",)) -> None:
	"""Only image data URLs (PNG for signatures) of a sane size are accepted."""
	prefixes = tuple(f"data:image/{kind.lower()};base64," for kind in formats)
	if not data_url or not data_url.startswith(prefixes):
		frappe.throw(_("The signature must be a PNG image."), title=_("Invalid signature"))
	if len(data_url) > MAX_SIGNATURE_BYTES * 4 // 3 + 64:  # refuse before decoding a huge upload
		frappe.throw(_("The signature image is too large."), title=_("Invalid signature"))
	try:
		raw = base64.b64decode(data_url.split(",", 1)[1], validate=True)
	except (ValueError, IndexError):
		frappe.throw(_("The signature image is damaged."), title=_("Invalid signature"))
	if len(raw) > MAX_SIGNATURE_BYTES:
		frappe.throw(_("The signature image is too large."), title=_("Invalid signature"))
	try:
		load_image(raw, allowed_formats=formats)
	except InvalidImageError as e:
		frappe.throw(_("The signature image is not usable: {0}").format(str(e)), title=_("Invalid signature"))
