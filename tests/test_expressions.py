"""Bounds of the expression language: conditions and `=expr` sources cannot exhaust a worker, and
every failure is the engine's own error (crm_sign.engine.expressions, automation.conditions)."""

from __future__ import annotations

import time

import pytest

from crm_sign.automation.conditions import check_condition
from crm_sign.engine.errors import ExpressionError, FieldPathError
from crm_sign.engine.expressions import (
	MAX_LIST_LENGTH,
	MAX_STRING_LENGTH,
	evaluate,
	get_path,
)
from crm_sign.engine.rules import condition_holds

RECORD = {
	"status": "Open",
	"amount": 1500.5,
	"qty": 3,
	"notes": "x" * 60_000,
	"items": [{"qty": 1}, {"qty": 2}],
	"numbers": [1, 2, 3],
	"tags": ["a", "b"],
}
KNOWN = list(RECORD)


@pytest.mark.parametrize(
	"expression",
	[
		"[0] * 2000000000",
		"[0, 1] * 6000",
		"(1, 2) * 100000000",
		"2000000000 * [0]",
		"numbers * 100000",
		"tags * 10000 + tags * 10000",
		"notes + notes",
		"concat(notes, notes)",
		"join([notes, notes], '')",
		"join(['a', 'b', 'c'], notes)",
		"b'x' * 2000000000",
		"'x' * 3",
		"'%999999999d' % 1",
	],
)
def test_oversized_results_are_refused_at_once(expression):
	started = time.monotonic()
	with pytest.raises(ExpressionError):
		evaluate(expression, RECORD)
	assert time.monotonic() - started < 1


@pytest.mark.parametrize(
	"expression",
	[
		"10**10**10",
		"2 ** 100000",
		"99999999999999999999 * 99999999999999999999 * 99999999999999999999",
		"int('9' * 50) * int('9' * 50)",
		"round(5, -1000000000)",
		"round(1.5, 1000000000)",
		"money(1, 'TRY', '#,###.##', 1000000000)",
		"number(1, '#,###.##', 1000000000)",
		"int('1' * 200)",
		"int(" + "'" + "1" * 150 + "')",
	],
)
def test_big_numbers_are_refused_at_once(expression):
	started = time.monotonic()
	with pytest.raises(ExpressionError):
		evaluate(expression, RECORD)
	assert time.monotonic() - started < 1


@pytest.mark.parametrize(
	"expression",
	[
		"-status",  # TypeError
		"+tags",
		"int(float('inf'))",  # OverflowError
		"int(float('nan'))",  # ValueError
		"sum(numbers, 'qty')",  # AttributeError
		"sum(items)",
		"len(qty)",
		"abs(status)",
		"min([])",
		"amount % 0",  # ZeroDivisionError
		"qty / 0",
		"status < 3",
		"1 in qty",
		"date('not a date')",
		"number('abc')",
		"upper(*tags)",
		"concat(**items[0])",
		"1j * 2",
		"...",
	],
)
def test_every_evaluation_error_is_an_expression_error(expression):
	with pytest.raises(ExpressionError) as info:
		evaluate(expression, RECORD)
	assert type(info.value) is ExpressionError
	assert str(info.value)


@pytest.mark.parametrize(
	"expression",
	["\x00", "(" * 300 + "1" + ")" * 199, "-" * 499 + "x", "x." * 240 + "x"],
)
def test_unparsable_or_deep_expressions_are_expression_errors(expression):
	with pytest.raises((ExpressionError, FieldPathError)):
		evaluate(expression, {"x": 1})


def test_missing_fields_stay_field_path_errors():
	with pytest.raises(FieldPathError):
		evaluate("no_such_field > 3", RECORD)
	assert condition_holds("no_such_field > 3", RECORD) is False


def test_condition_errors_do_not_escape_condition_holds_as_raw_exceptions():
	for condition in ("-status", "[0] * 2000000000", "sum(numbers, 'qty')", "int(float('inf')) > 0"):
		with pytest.raises(ExpressionError):
			condition_holds(condition, RECORD)


def test_values_within_the_bounds_still_work():
	assert evaluate("[0] * 3", RECORD) == [0, 0, 0]
	assert len(evaluate("[0] * " + str(MAX_LIST_LENGTH), RECORD)) == MAX_LIST_LENGTH
	assert evaluate("tags + ['c']", RECORD) == ["a", "b", "c"]
	assert evaluate("status + '!'", RECORD) == "Open!"
	assert evaluate("concat(status, ' ', qty)", RECORD) == "Open 3"
	assert evaluate("join(tags, '-')", RECORD) == "a-b"
	assert len(evaluate("concat(notes)", RECORD)) == 60_000 <= MAX_STRING_LENGTH
	assert evaluate("round(amount)", RECORD) == 1500
	assert evaluate("round(amount, 1)", RECORD) == 1500.5
	assert evaluate("int('42') * 1000000", RECORD) == 42_000_000
	assert evaluate("money(amount, 'USD')", RECORD) == "$ 1,500.50"
	assert evaluate("number(amount, '#.###,##', 0)", RECORD) == "1.501"
	assert evaluate("amount % 1000", RECORD) == 500.5
	assert evaluate("-qty", RECORD) == -3
	assert evaluate("999999999999 * 999999999999", RECORD) == 999999999999**2


def test_field_paths_with_bad_subscripts_are_field_path_errors():
	with pytest.raises(FieldPathError):
		get_path(RECORD, "items[-'a']")
	with pytest.raises(FieldPathError):
		get_path(RECORD, "items" + ".a" * 5000)
	with pytest.raises(FieldPathError):
		get_path(RECORD, "\x00")


@pytest.mark.parametrize(
	"condition",
	[
		"[0] * 2000000000",
		"status == 'Open' and len([0] * 2000000000) > 1",
		"qty > 1 / 0",
		"10**10**10 > qty",
		"b'x' * 3 == status",
		"round(5, -1000000000) > qty",
		"\x00",
	],
)
def test_check_condition_refuses_what_cannot_run(condition):
	started = time.monotonic()
	with pytest.raises(ExpressionError):
		check_condition(condition, KNOWN)
	assert time.monotonic() - started < 1


def test_check_condition_accepts_normal_conditions():
	for condition in (
		"status == 'Open' and amount > 1000 * 2",
		"len(items) >= 2 or -qty < 0",
		"upper(status) in ['OPEN', 'CLOSED']",
		"amount > float('1e3')",
		"[0] * qty == [0, 0, 0]",
	):
		check_condition(condition, KNOWN)
