"""Render the texts users write (e-mail subject and body, SMS, trigger comments and ToDos) safely.

`frappe.render_template` hands every template `frappe.get_doc`, `frappe.db.sql` and callable
documents, and these texts are rendered later by jobs running as someone else (a reminder as the
request's owner, a trigger as an administrator). A Sign Manager could write a body that grants them
roles. Here a text is rendered in a plain Jinja sandbox instead, over plain data only: the record's
values its reader may see, a few strings about the request and `_` for translation. Names that are not
there render empty. The sandbox also bounds what a text may cost (loop steps, sizes of the strings,
lists and numbers it builds, the size of the result), so a text cannot exhaust a worker either.

The rendering core (`render`, `check`) needs only Jinja; the Frappe helpers import frappe when called.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS, make_attrgetter
from jinja2.runtime import ChainableUndefined, LoopContext, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Cycler, Joiner, Namespace, pass_environment, pass_eval_context
from markupsafe import Markup

MAX_SOURCE_LENGTH = 100_000  # characters of a template
MAX_OUTPUT_LENGTH = 200_000  # characters of a rendered text
MAX_CHARS = 1_000_000  # characters of any value a text builds or writes out
MAX_ITEMS = 100_000  # loop steps per text; items of any value it builds or writes out
MAX_INT_BITS = 256  # about 1e77: no amount comes near, and 10**10**10 is refused at once
MAX_DIGITS = 20  # decimal places for the round filter

# The names the compiled text uses for its guards; a text that names them itself is refused.
_ITERATE = "crm_sign_iterate"
_VALUE = "crm_sign_value"
_RESERVED = frozenset({_ITERATE, _VALUE})

# Attributes a text may read, per type: data and plain string methods, never a method that can build
# a large string (center, ljust, zfill, join, replace, translate, expandtabs) or bytes (int.to_bytes).
_STR_ATTRIBUTES = frozenset(
	{
		"capitalize",
		"casefold",
		"count",
		"endswith",
		"find",
		"format",
		"format_map",
		"index",
		"isalnum",
		"isalpha",
		"isdecimal",
		"isdigit",
		"islower",
		"isnumeric",
		"isspace",
		"istitle",
		"isupper",
		"lower",
		"lstrip",
		"partition",
		"removeprefix",
		"removesuffix",
		"rfind",
		"rindex",
		"rpartition",
		"rsplit",
		"rstrip",
		"split",
		"splitlines",
		"startswith",
		"strip",
		"swapcase",
		"title",
		"upper",
	}
)
_MARKUP_ATTRIBUTES = _STR_ATTRIBUTES | {"striptags", "unescape"}
_MAPPING_ATTRIBUTES = frozenset({"get", "items", "keys", "values"})
_SEQUENCE_ATTRIBUTES = frozenset({"count", "index"})
_NUMBER_ATTRIBUTES = frozenset({"real", "imag", "is_integer"})

# Filters that build output from a size argument, not from their input: gone.
_REMOVED_FILTERS = ("batch", "center", "format", "indent", "slice")

# "{0:>99999}" or "{0:{1}}" (a width taken from an argument) in str.format; "%99999s" or "%*s" with %.
_WIDE_FORMAT = re.compile(r"\{[^{}]*:[^{}]*(\d{4,}|\{)")
_WIDE_PERCENT = re.compile(r"%(\([^)]*\))?[-#0 +]*(\*|\d{4,})|%(\([^)]*\))?[-#0 +]*\d*\.(\*|\d{4,})")


class TextTemplateError(Exception):
	"""A text cannot be rendered; the message says why (in words, without a traceback)."""


# ------------------------------------------------------------------------------------ limits


def _limit(reason: str) -> SecurityError:
	return SecurityError(reason)


def check_value(value: Any) -> Any:
	"""`value` when it can be written out within the limits, counting shared parts every time they
	appear (a list holding one big list 10,000 times is as big as it prints)."""
	items, chars = MAX_ITEMS, MAX_CHARS
	stack = [value]
	while stack:
		item = stack.pop()
		if isinstance(item, str):
			chars -= len(item)
		elif isinstance(item, Mapping):
			items -= len(item)
			if items >= 0:
				stack.extend(item.keys())
				stack.extend(item.values())
		elif isinstance(item, (list, tuple, set, frozenset)):
			items -= len(item)
			if items >= 0:
				stack.extend(item)
		elif isinstance(item, int) and not isinstance(item, bool):
			items -= 1
			if item.bit_length() > MAX_INT_BITS:
				raise _limit("a number is too large")
		else:
			items -= 1
		if items < 0:
			raise _limit("a value has too many items")
		if chars < 0:
			raise _limit("a value is too long")
	return value


def _check_operands(operator_: str, left: Any, right: Any) -> None:
	"""Refuse an operation before doing it when its result would be over the limits."""
	for operand in (left, right):
		if isinstance(operand, int) and not isinstance(operand, bool) and operand.bit_length() > MAX_INT_BITS:
			raise _limit("a number is too large")
	if operator_ == "*":
		for seq, times in ((left, right), (right, left)):
			if isinstance(seq, (str, list, tuple)) and isinstance(times, int):
				limit = MAX_CHARS if isinstance(seq, str) else MAX_ITEMS
				if len(seq) * max(times, 0) > limit:
					raise _limit("a repeated value is too long")
		if _is_int(left) and _is_int(right) and left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
			raise _limit("a number is too large")
	elif operator_ == "**" and _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
		if right > MAX_INT_BITS or left.bit_length() * right > MAX_INT_BITS:
			raise _limit("a power is too large")
	elif operator_ == "+":
		if isinstance(left, str) and isinstance(right, str) and len(left) + len(right) > MAX_CHARS:
			raise _limit("a joined text is too long")
		if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
			if len(left) + len(right) > MAX_ITEMS:
				raise _limit("a joined list is too long")
	elif operator_ == "%" and isinstance(left, str):
		if _WIDE_PERCENT.search(left):
			raise _limit("a % format is too wide")
		check_value(right)


def _is_int(value: Any) -> bool:
	return isinstance(value, int) and not isinstance(value, bool)


class _Steps:
	"""The loop steps one rendering may take, shared by all its loops (nested ones included)."""

	def __init__(self) -> None:
		self.left = MAX_ITEMS

	def iterate(self, iterable: Iterable[Any]) -> Iterator[Any]:
		for item in iterable:
			self.left -= 1
			if self.left < 0:
				raise _limit("the loops take too many steps")
			yield item


# ------------------------------------------------------------------------------------ sandbox


class _TextSandbox(ImmutableSandboxedEnvironment):
	intercepted_binops = frozenset({"*", "**", "+", "%", "//"})

	def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
		if not super().is_safe_attribute(obj, attr, value):
			return False
		if isinstance(obj, Markup):
			return attr in _MARKUP_ATTRIBUTES
		if isinstance(obj, str):
			return attr in _STR_ATTRIBUTES
		if isinstance(obj, Mapping):
			return attr in _MAPPING_ATTRIBUTES
		if isinstance(obj, (list, tuple)):
			return attr in _SEQUENCE_ATTRIBUTES
		if isinstance(obj, (int, float)):
			return attr in _NUMBER_ATTRIBUTES
		return isinstance(obj, (LoopContext, Namespace, Cycler, Joiner, Undefined))

	def getattr(self, obj: Any, attribute: str) -> Any:
		# doc.items is the record's child table, not dict.items
		if isinstance(obj, Mapping) and attribute in obj:
			return obj[attribute]
		return super().getattr(obj, attribute)

	def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
		wrapped = super().wrap_str_format(value)
		if wrapped is None:
			return None
		if _WIDE_FORMAT.search(value.__self__):
			raise _limit("a format is too wide")
		return wrapped

	def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
		_check_operands(operator_, left, right)
		return check_value(self.binop_table[operator_](left, right))

	# the base method's parameter names, which no keyword argument of a call can clash with
	def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
		for arg in (*args, *kwargs.values()):
			check_value(arg)
		return check_value(super().call(__context, __obj, *args, **kwargs))


def _checked_filter(func: Callable[..., Any]) -> Callable[..., Any]:
	"""The filter, checking the size of what it is given and what it returns."""
	passes = getattr(func, "jinja_pass_arg", None)

	def filter_(*args: Any, **kwargs: Any) -> Any:
		for arg in (*(args[1:] if passes else args), *kwargs.values()):
			check_value(arg)
		return check_value(func(*args, **kwargs))

	if passes is not None:
		filter_.jinja_pass_arg = passes  # type: ignore[attr-defined]
	return filter_


@pass_eval_context
def _replace(eval_ctx: Any, value: Any, old: Any, new: Any, count: int | None = None) -> str:
	text, old, new = str(value), str(old), str(new)
	hits = text.count(old) if old else len(text) + 1
	if count is not None and count >= 0:
		hits = min(hits, count)
	if len(text) + hits * (len(new) - len(old)) > MAX_CHARS:
		raise _limit("a replaced text is too long")
	return FILTERS["replace"](eval_ctx, value, old, new, count)


@pass_eval_context
def _join(eval_ctx: Any, value: Any, d: Any = "", attribute: Any = None) -> str:
	if attribute is not None:
		value = map(make_attrgetter(eval_ctx.environment, attribute), value)
	items = list(value)
	size = len(str(d)) * max(len(items) - 1, 0)
	for item in items:
		size += len(str(check_value(item)))
		if size > MAX_CHARS:
			raise _limit("a joined text is too long")
	return FILTERS["join"](eval_ctx, items, d)


def _round(value: float, precision: int = 0, method: str = "common") -> float:
	if not isinstance(precision, int) or abs(precision) > MAX_DIGITS:
		raise _limit("round takes at most {0} decimal places".format(MAX_DIGITS))
	return FILTERS["round"](value, precision, method)


@pass_environment
def _sum(environment: Any, iterable: Iterable[Any], attribute: Any = None, start: Any = 0) -> Any:
	# summing lists or strings copies them over and over: numbers only
	if not isinstance(start, (int, float, Decimal)):
		raise _limit("sum adds numbers only")
	return FILTERS["sum"](environment, iterable, attribute, start)


def _int(value: Any, default: int = 0, base: int = 10) -> int:
	# Python 3.10 converts long digit strings in quadratic time
	if isinstance(value, str) and len(value.strip()) > 100:
		raise _limit("a number is too long")
	return FILTERS["int"](value, default, base)


def _bounded_range(*args: int) -> range:
	for arg in args:
		if not _is_int(arg):
			raise _limit("range takes whole numbers")
	numbers = range(*args)
	if len(numbers) > MAX_ITEMS:
		raise _limit("a range is too long")
	return numbers


def _finalize(value: Any) -> Any:
	return check_value(value)


@lru_cache(maxsize=2)
def _environment(html: bool) -> _TextSandbox:
	env = _TextSandbox(
		autoescape=html,
		undefined=ChainableUndefined,
		finalize=_finalize,
		optimized=False,  # the optimizer would fold constants with the unchecked operators
	)
	for name in _REMOVED_FILTERS:
		env.filters.pop(name, None)
	special = {"replace": _replace, "join": _join, "round": _round, "sum": _sum, "int": _int}
	for name, func in list(env.filters.items()):
		env.filters[name] = _checked_filter(special.get(name, func))
	env.globals.pop("lipsum", None)
	env.globals["range"] = _bounded_range
	return env


@lru_cache(maxsize=256)
def _compile(source: str, html: bool):
	env = _environment(html)
	tree = env.parse(source)
	for name in tree.find_all(nodes.Name):
		if name.name in _RESERVED:
			raise TextTemplateError("{0} is a reserved name".format(name.name))
	# Every loop counts its steps, and every `a ~ b` checks what it writes out (neither is a call
	# or an operator the sandbox sees otherwise).
	for loop in tree.find_all(nodes.For):
		loop.iter = _guard(_ITERATE, loop.iter)
	for concat in tree.find_all(nodes.Concat):
		concat.nodes = [_guard(_VALUE, part) for part in concat.nodes]
	tree.set_environment(env)
	return env.from_string(tree)


def _guard(name: str, node: nodes.Expr) -> nodes.Call:
	return nodes.Call(
		nodes.Name(name, "load", lineno=node.lineno), [node], [], None, None, lineno=node.lineno
	)


# ------------------------------------------------------------------------------------ core API


def check(source: str, *, html: bool = False) -> None:
	"""Raise TextTemplateError when `source` is not a text this sandbox can render (syntax errors,
	reserved names, too long)."""
	_template(source, html)


def render(source: str, context: Mapping[str, Any], *, html: bool) -> str:
	"""Render `source` over `context` (plain data; see `plain`). HTML texts escape every value.

	Raises TextTemplateError, whatever went wrong: a syntax error, an undefined function, a limit.
	"""
	if not source:
		return ""
	template = _template(source, html)
	values = dict(context)
	steps = _Steps()
	values[_ITERATE] = steps.iterate
	values[_VALUE] = check_value
	parts: list[str] = []
	size = 0
	try:
		for part in template.generate(values):
			size += len(part)
			if size > MAX_OUTPUT_LENGTH:
				raise _limit("the text is longer than {0} characters".format(MAX_OUTPUT_LENGTH))
			parts.append(part)
	except TextTemplateError:
		raise
	except Exception as e:  # UndefinedError, SecurityError, TypeError, RecursionError, ...
		raise TextTemplateError(_reason(e))
	return "".join(parts)


def _template(source: str, html: bool):
	if len(source) > MAX_SOURCE_LENGTH:
		raise TextTemplateError("the text is longer than {0} characters".format(MAX_SOURCE_LENGTH))
	try:
		return _compile(source, bool(html))
	except TextTemplateError:
		raise
	except Exception as e:  # TemplateSyntaxError, RecursionError of a deeply nested text
		raise TextTemplateError(_reason(e))


def _reason(error: Exception) -> str:
	line = getattr(error, "lineno", None)
	message = getattr(error, "message", None) or str(error) or type(error).__name__
	return ("line {0}: {1}".format(line, message) if line else message)[:500]


def plain(value: Any, depth: int = 0) -> Any:
	"""`value` as template data: strings, numbers, booleans, None, and lists and dicts of them.
	Dates become ISO strings; objects, callables and private keys are dropped."""
	if value is None or isinstance(value, (bool, int, float)):
		return value
	if isinstance(value, str):
		return str(value)  # a Markup value would skip escaping
	if isinstance(value, (dt.date, dt.time, dt.timedelta, Decimal)):
		return str(value)
	if depth >= 6:
		return None
	if isinstance(value, Mapping):
		return {
			str(key): plain(item, depth + 1)
			for key, item in value.items()
			if not str(key).startswith("_") and not callable(item)
		}
	if isinstance(value, (list, tuple)):
		return [plain(item, depth + 1) for item in value if not callable(item)]
	return None


# ------------------------------------------------------------------------------------ Frappe


def render_text(source: str | None, context: Mapping[str, Any], *, html: bool, label: str) -> str:
	"""Render a user-written text; `label` names it for the error, e.g. "The e-mail body of Sign
	Template X". Adds `_` for translation. Raises TextTemplateError with a translated message."""
	from frappe import _

	def translate(message: Any, context: str | None = None) -> str:
		return _(str(message), context=context)

	try:
		return render(source or "", {**context, "_": translate}, html=html)
	except TextTemplateError as e:
		raise TextTemplateError(_("{0} cannot be rendered: {1}").format(label, str(e)))


def validate_text(source: str | None, label: str, *, html: bool = False) -> None:
	"""frappe.throw when `source` cannot be rendered by `render_text` (for validate hooks)."""
	import frappe
	from frappe import _

	try:
		check(source or "", html=html)
	except TextTemplateError as e:
		frappe.throw(_("{0} cannot be rendered: {1}").format(label, str(e)), title=_("Invalid Template Text"))


def record_values(doc, user: str | None = None) -> dict[str, Any]:
	"""The record's values that `user` may read, as plain data: fields of a permission level their
	roles cannot read and passwords are left out, child rows too. Nothing when they cannot read it."""
	import frappe

	user = user or frappe.session.user
	if user != "Administrator" and not frappe.has_permission(doc.doctype, "read", doc, user=user):
		return {"name": doc.name, "doctype": doc.doctype}
	levels = _readable_levels(doc.doctype, user)
	data = doc.as_dict(convert_dates_to_str=True)
	_drop_hidden(data, doc.meta, levels)
	for table in doc.meta.get_table_fields():
		rows = data.get(table.fieldname)
		if not isinstance(rows, list):
			continue
		child = frappe.get_meta(table.options)
		for row in rows:
			if isinstance(row, dict):
				_drop_hidden(row, child, levels)
	return plain(data)


def _readable_levels(doctype: str, user: str) -> set[int] | None:
	"""The permission levels `user` reads on `doctype` (None: all of them)."""
	if user == "Administrator":
		return None
	from frappe.permissions import get_valid_perms

	# level 0 always: the caller checked read on the record, which a share grants without a role
	return {0} | {int(perm.permlevel or 0) for perm in get_valid_perms(doctype, user) if perm.read}


def _drop_hidden(data: dict, meta, levels: set[int] | None) -> None:
	for df in meta.fields:
		if df.fieldtype == "Password" or (levels is not None and int(df.permlevel or 0) not in levels):
			data.pop(df.fieldname, None)
