"""Date and money formatting for field maps, using Frappe's format strings without Frappe.

Frappe stores dates as ISO strings and formats them with patterns such as ``dd-mm-yyyy`` and numbers
with patterns such as ``#,###.##`` or ``#.###,##``; the Frappe layer passes the site's settings in.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .errors import ExpressionError

CURRENCY_SYMBOLS = {"TRY": "₺", "USD": "$", "EUR": "€", "GBP": "£", "INR": "₹"}


def parse_date(value: Any) -> dt.date:
	"""A date from a date, datetime or ISO string (``2024-03-14`` or ``2024-03-14 10:00:00``)."""
	if isinstance(value, dt.datetime):
		return value.date()
	if isinstance(value, dt.date):
		return value
	if isinstance(value, str) and value.strip():
		text = value.strip().replace("T", " ")
		try:
			return dt.date.fromisoformat(text[:10])
		except ValueError:
			pass
	raise ExpressionError(f"Not a date: {value!r}")


def format_date(value: Any, date_format: str = "dd-mm-yyyy") -> str:
	"""Format like Frappe's ``formatdate``: tokens dd, mm, yyyy, yy (case-insensitive)."""
	if value in (None, ""):
		return ""
	date = parse_date(value)
	pattern = date_format.lower()
	out = pattern.replace("yyyy", f"{date.year:04d}").replace("yy", f"{date.year % 100:02d}")
	return out.replace("dd", f"{date.day:02d}").replace("mm", f"{date.month:02d}")


def format_number(value: Any, number_format: str = "#,###.##", precision: int = 2) -> str:
	"""Format like Frappe's ``fmt_money`` without a currency: ``#,###.##``, ``#.###,##``, ``# ###.##``."""
	if value in (None, ""):
		value = 0
	try:
		number = Decimal(str(value))
	except InvalidOperation:
		raise ExpressionError(f"Not a number: {value!r}")
	group_sep, decimal_sep = _separators(number_format)
	quantum = Decimal(1).scaleb(-precision) if precision > 0 else Decimal(1)
	number = number.quantize(quantum, rounding=ROUND_HALF_UP)
	sign = "-" if number < 0 else ""
	whole, _, fraction = f"{abs(number):f}".partition(".")
	groups = []
	while len(whole) > 3:
		groups.insert(0, whole[-3:])
		whole = whole[:-3]
	groups.insert(0, whole)
	text = sign + group_sep.join(groups)
	if precision > 0:
		text += decimal_sep + fraction.ljust(precision, "0")[:precision]
	return text


def format_money(
	value: Any,
	currency: str = "",
	number_format: str = "#,###.##",
	precision: int = 2,
	symbol: str | None = None,
) -> str:
	"""``1.234,50 ₺`` style money; the symbol goes after the number for TRY (Turkish usage)."""
	text = format_number(value, number_format, precision)
	mark = (
		symbol if symbol is not None else CURRENCY_SYMBOLS.get(currency.upper(), currency) if currency else ""
	)
	if not mark:
		return text
	return f"{text} {mark}" if currency.upper() == "TRY" else f"{mark} {text}"


def _separators(number_format: str) -> tuple[str, str]:
	formats = {
		"#,###.##": (",", "."),
		"#.###,##": (".", ","),
		"# ###.##": (" ", "."),
		"# ###,##": (" ", ","),
		"#'###.##": ("'", "."),
		"#, ###.##": (", ", "."),
		"#,##,###.##": (",", "."),
		"#,###.###": (",", "."),
		"#.###": (".", ","),
		"#,###": (",", "."),
	}
	return formats.get(number_format, (",", "."))
