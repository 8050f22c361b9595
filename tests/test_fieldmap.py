import datetime as dt

import pytest

from crm_sign.engine.errors import ExpressionError, FieldPathError, FieldPlacementError
from crm_sign.engine.expressions import evaluate, get_path
from crm_sign.engine.fieldmap import FieldMapContext, FormatSettings, resolve_fields, resolve_source
from crm_sign.engine.fields import Box, Field, FieldType, FillerRole
from crm_sign.engine.formatting import format_date, format_money, format_number

RECORD = {
	"name": "CRM-OPP-2026-00001",
	"customer": {"customer_name": "Şirin Ağaoğlu", "email_id": "sirin@example.com"},
	"items": [
		{"item_name": "Kurulum", "qty": 2, "rate": 1500.5},
		{"item_name": "Destek", "qty": 1, "rate": 99},
	],
	"opportunity_amount": 1234567.891,
	"currency": "TRY",
	"transaction_date": "2026-03-14",
	"status": "Open",
}


def ctx(**kw):
	return FieldMapContext(RECORD, **kw)


def test_nested_paths_and_rows():
	assert get_path(RECORD, "customer.email_id") == "sirin@example.com"
	assert get_path(RECORD, "items[1].item_name") == "Destek"
	assert get_path(RECORD, "items[-1].qty") == 1


@pytest.mark.parametrize(
	"path", ["customer.phone", "items[5].item_name", "missing", "items.0", "customer..x"]
)
def test_missing_path_names_the_path(path):
	with pytest.raises(FieldPathError) as info:
		get_path(RECORD, path)
	assert path in str(info.value)


def test_get_path_default():
	assert get_path(RECORD, "customer.phone", default="-") == "-"


def test_sources_constant_variable_expression():
	context = ctx(variables={"city": "İstanbul"})
	assert resolve_source("const:Net 30", context) == "Net 30"
	assert resolve_source("var:city", context) == "İstanbul"
	assert resolve_source("=upper(customer.customer_name)", context) == "ŞIRIN AĞAOĞLU"
	assert resolve_source("=items[0].qty * items[0].rate", context) == 3001.0
	with pytest.raises(FieldPathError, match="Variable not defined: nope"):
		resolve_source("var:nope", context)


@pytest.mark.parametrize(
	"expression",
	[
		"__import__('os').system('id')",
		"customer.__class__",
		"open('/etc/passwd')",
		"(lambda: 1)()",
		"[x for x in items]",
		"'a' * 1000000",
		"customer.email_id.upper()",
	],
)
def test_unsafe_expressions_refused(expression):
	with pytest.raises((ExpressionError, FieldPathError)):
		evaluate(expression, RECORD)


def test_expression_logic():
	assert evaluate("opportunity_amount > 1000 and status == 'Open'", RECORD) is True
	assert evaluate("status in ['Lost', 'Closed']", RECORD) is False
	assert evaluate("'big' if opportunity_amount > 10 else 'small'", RECORD) == "big"
	assert evaluate("sum(items, 'qty')", RECORD) == 3
	assert evaluate("default(customer.get, 'x')", {"customer": {"get": ""}}) == "x"


def test_formatting():
	assert format_date("2026-03-14", "dd.mm.yyyy") == "14.03.2026"
	assert format_date(dt.datetime(2026, 3, 4, 10, 0), "mm/dd/yyyy") == "03/04/2026"
	assert format_number(1234567.891, "#.###,##") == "1.234.567,89"
	assert format_number(-0.5, "#,###.##", 0) == "-1"
	assert format_money(1234.5, "TRY", "#.###,##") == "1.234,50 ₺"
	assert format_money(1234.5, "USD") == "$ 1,234.50"
	with pytest.raises(ExpressionError):
		format_date("not a date")


def test_resolve_fields_formats_and_reports_all_missing():
	fields = [
		Field("d", FieldType.DATE, page=0, box=Box(0.1, 0.1, 0.2, 0.05), source="transaction_date"),
		Field("m", page=0, box=Box(0.1, 0.2, 0.2, 0.05), source="opportunity_amount", format="money:TRY"),
		Field("sig", FieldType.SIGNATURE, FillerRole.COUNTERPARTY, page=0, box=Box(0.1, 0.3, 0.3, 0.1)),
		Field("opt", page=0, box=Box(0.1, 0.4, 0.2, 0.05), source="customer.fax", required=False),
	]
	values = resolve_fields(
		fields, ctx(formats=FormatSettings(date_format="dd.mm.yyyy", number_format="#.###,##"))
	)
	assert [(v.field.name, v.value) for v in values] == [
		("d", "14.03.2026"),
		("m", "1.234.567,89 ₺"),
		("opt", ""),
	]

	bad = [
		Field("a", page=0, box=Box(0.1, 0.1, 0.2, 0.05), source="customer.fax"),
		Field("b", page=0, box=Box(0.1, 0.2, 0.2, 0.05), source="items[9].rate"),
	]
	with pytest.raises(FieldPathError) as info:
		resolve_fields(bad, ctx())
	assert "customer.fax" in str(info.value) and "items[9].rate" in str(info.value)


@pytest.mark.parametrize(
	"kwargs",
	[
		{"box": Box(0.1, 0.1, 0.2, 0.1)},  # no page
		{},  # neither box nor anchor
		{"page": 0, "box": {"x": 0.9, "y": 0.1, "w": 0.2, "h": 0.1}},  # off the page
		{"page": 0, "box": [0.1, 0.1, 0, 0.1]},  # zero width
		{"anchor": "{{sign:client}}", "font_size": 0},
	],
)
def test_field_placement_validated(kwargs):
	with pytest.raises(FieldPlacementError):
		Field("x", **kwargs)


def test_field_roundtrip():
	field = Field("s", FieldType.SIGNATURE, FillerRole.COMPANY, anchor="{{sign:company}}")
	placed = field.placed(1, Box(0.1, 0.2, 0.3, 0.05))
	assert placed.page == 1 and placed.box == Box(0.1, 0.2, 0.3, 0.05)
	assert Field.from_dict(placed.to_dict()) == placed
	assert field.box is None
