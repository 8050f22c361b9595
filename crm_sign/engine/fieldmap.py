"""Field-map resolution: turn a template's field sources into the values printed on the document.

A source is one of:
- a record path: ``customer_name``, ``customer.email_id``, ``items[0].item_name``
- a constant: ``const:Net 30 days``
- a variable: ``var:company_city`` (named values from Sign Settings or the caller)
- an expression: ``=money(opportunity_amount, currency)`` (see expressions.py; never arbitrary code)
Dates and money are formatted with the field's ``format`` (``date:dd.mm.yyyy``, ``money:TRY``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import FieldPathError
from .expressions import evaluate, get_path
from .fields import Field, FieldType, FieldValue, FillerRole
from .formatting import format_date, format_money, format_number


@dataclass
class FormatSettings:
	"""The site's formats, passed in by the Frappe layer."""

	date_format: str = "dd-mm-yyyy"
	number_format: str = "#,###.##"
	currency_precision: int = 2
	currency: str = ""


@dataclass
class FieldMapContext:
	record: Mapping[str, Any]
	variables: Mapping[str, Any] = field(default_factory=dict)
	formats: FormatSettings = field(default_factory=FormatSettings)


def resolve_source(source: str, context: FieldMapContext) -> Any:
	"""The raw value a source names; raises FieldPathError naming a missing path."""
	source = (source or "").strip()
	if not source:
		return None
	if source.startswith("const:"):
		return source[len("const:") :]
	if source.startswith("var:"):
		name = source[len("var:") :].strip()
		if name not in context.variables:
			raise FieldPathError(source, f"Variable not defined: {name}")
		return context.variables[name]
	if source.startswith("="):
		return evaluate(source[1:], context.record, context.variables)
	return get_path(context.record, source)


def format_value(value: Any, field_def: Field, formats: FormatSettings) -> Any:
	"""Format a resolved value for printing in `field_def`."""
	if value is None:
		return ""
	if field_def.type == FieldType.CHECKBOX:
		return bool(value) and value not in ("0", "false", "False", "No")
	if field_def.type.is_image:
		return value
	spec = (field_def.format or "").strip()
	kind, _, arg = spec.partition(":")
	if kind == "date" or (field_def.type == FieldType.DATE and not spec):
		return format_date(value, arg or formats.date_format)
	if kind == "money":
		return format_money(value, arg or formats.currency, formats.number_format, formats.currency_precision)
	if kind == "number":
		return format_number(value, formats.number_format, int(arg) if arg.isdigit() else 2)
	if isinstance(value, (dt.date, dt.datetime)):
		return format_date(value, formats.date_format)
	if isinstance(value, float):
		return format_number(value, formats.number_format, formats.currency_precision)
	return str(value)


def resolve_fields(fields: Iterable[Field], context: FieldMapContext) -> list[FieldValue]:
	"""Values for every prefilled field; all missing paths are reported together."""
	values: list[FieldValue] = []
	missing: list[str] = []
	for field_def in fields:
		if field_def.role != FillerRole.PREFILLED:
			continue
		try:
			raw = resolve_source(field_def.source or "", context)
		except FieldPathError as e:
			if field_def.required:
				missing.append(e.path)
				continue
			raw = None
		values.append(FieldValue(field_def, format_value(raw, field_def, context.formats)))
	if missing:
		raise FieldPathError(", ".join(missing), "Field path not found in record: " + ", ".join(missing))
	return values
