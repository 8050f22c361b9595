"""A small, safe expression language over a record given as nested dicts.

Used by template field maps (``=upper(customer.customer_name)``) and by automation rule
conditions (``opportunity_amount > 1000 and status == "Open"``). Expressions are parsed with
`ast` and evaluated by walking a short whitelist of node types: no attribute access on Python
objects, no imports, no calls except the functions in FUNCTIONS.

A condition runs inside every save that enters a stage, so evaluation is bounded too: strings,
lists and integers that an expression builds have a maximum size (checked before the work is done,
so ``[0] * 2000000000`` fails at once instead of filling the worker's memory), and every failure
is an ExpressionError (or a FieldPathError for a missing field), never a raw Python exception.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

from .errors import ExpressionError, FieldPathError, SignEngineError
from .formatting import format_date, format_money, format_number

MISSING = object()

MAX_EXPRESSION_LENGTH = 500
MAX_STRING_LENGTH = 100_000  # characters of a string an expression builds
MAX_LIST_LENGTH = 10_000  # items of a list or tuple an expression builds
MAX_INT_BITS = 128  # integers beyond about 3.4e38 are refused (money is far below that)
MAX_DIGITS = 20  # decimal places for round(), money() and number()

_BIN_OPS: dict[type, Callable[[Any, Any], Any]] = {
	ast.Add: operator.add,
	ast.Sub: operator.sub,
	ast.Mult: operator.mul,
	ast.Div: operator.truediv,
	ast.Mod: operator.mod,
}
_CMP_OPS: dict[type, Callable[[Any, Any], bool]] = {
	ast.Eq: operator.eq,
	ast.NotEq: operator.ne,
	ast.Lt: operator.lt,
	ast.LtE: operator.le,
	ast.Gt: operator.gt,
	ast.GtE: operator.ge,
	ast.In: lambda a, b: a in b,
	ast.NotIn: lambda a, b: a not in b,
}


def _digits(value: Any) -> int:
	if not isinstance(value, int) or abs(value) > MAX_DIGITS:
		raise ExpressionError(f"The number of decimal places must be a whole number up to {MAX_DIGITS}")
	return value


def _round(value: Any, digits: int | None = None) -> Any:
	# round(5, -10**9) would compute 10**(10**9): the places are bounded first.
	return round(value) if digits is None else round(value, _digits(digits))


def _money(value: Any, currency: str = "", number_format: str = "#,###.##", precision: int = 2, symbol=None):
	return format_money(value, currency, number_format, _digits(precision), symbol)


def _number(value: Any, number_format: str = "#,###.##", precision: int = 2) -> str:
	return format_number(value, number_format, _digits(precision))


def _int(value: Any, *base: int) -> int:
	# Python 3.10 converts long digit strings in quadratic time; no real number has 100 digits.
	if isinstance(value, str) and len(value.strip()) > 100:
		raise ExpressionError("The number is too large")
	return int(value, *base)


def _text(value: Any) -> str:
	return "" if value is None else str(value)


def _concat(*parts: Any) -> str:
	texts = [_text(part) for part in parts]
	_check_length(sum(len(text) for text in texts), MAX_STRING_LENGTH, "string")
	return "".join(texts)


def _join(items: Any, sep: Any = ", ") -> str:
	sep = _text(sep)
	texts = [str(item) for item in (items or ()) if item is not None]
	_check_length(
		sum(len(text) for text in texts) + len(sep) * max(len(texts) - 1, 0), MAX_STRING_LENGTH, "string"
	)
	return sep.join(texts)


FUNCTIONS: dict[str, Callable[..., Any]] = {
	"upper": lambda v: str(v or "").upper(),
	"lower": lambda v: str(v or "").lower(),
	"title": lambda v: str(v or "").title(),
	"strip": lambda v: str(v or "").strip(),
	"len": lambda v: len(v or ()),
	"round": _round,
	"abs": abs,
	"min": min,
	"max": max,
	"int": _int,
	"float": float,
	"str": _text,
	"concat": _concat,
	"join": _join,
	"default": lambda v, fallback: fallback if v in (None, "") else v,
	"date": format_date,
	"money": _money,
	"number": _number,
	"sum": lambda items, key=None: sum((i.get(key) or 0) if key else (i or 0) for i in (items or ())),
}


def _check_length(length: int, limit: int, kind: str) -> None:
	if length > limit:
		raise ExpressionError(f"The {kind} would be too long ({length} > {limit})")


def _check_size(value: Any) -> Any:
	"""`value` when it is within the size limits, else ExpressionError."""
	if isinstance(value, str):
		_check_length(len(value), MAX_STRING_LENGTH, "string")
	elif isinstance(value, (list, tuple)):
		_check_length(len(value), MAX_LIST_LENGTH, "list")
	elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
		raise ExpressionError("The number is too large")
	return value


def _check_operands(op: ast.operator, left: Any, right: Any) -> None:
	"""Refuse before computing what would build an oversized result."""
	for operand in (left, right):
		if isinstance(operand, int) and not isinstance(operand, bool):
			_check_size(operand)
	if isinstance(op, ast.Mult):
		for seq, times in ((left, right), (right, left)):
			if isinstance(seq, str) and isinstance(times, int):
				raise ExpressionError("String repetition is not allowed")
			if isinstance(seq, (list, tuple)) and isinstance(times, int):
				_check_length(len(seq) * max(times, 0), MAX_LIST_LENGTH, "list")
	elif isinstance(op, ast.Add):
		if isinstance(left, str) and isinstance(right, str):
			_check_length(len(left) + len(right), MAX_STRING_LENGTH, "string")
		elif isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
			_check_length(len(left) + len(right), MAX_LIST_LENGTH, "list")
	elif isinstance(op, ast.Mod) and isinstance(left, str):
		raise ExpressionError("String formatting with % is not allowed; use concat()")


def get_path(record: Mapping[str, Any], path: str, default: Any = MISSING) -> Any:
	"""Read ``customer.email_id`` or ``items[0].item_name`` from nested dicts and lists.

	Raises FieldPathError naming the path when a part is missing and no default is given.
	"""
	try:
		tree = ast.parse(path.strip(), mode="eval")
	except (SyntaxError, ValueError, RecursionError, MemoryError):
		raise FieldPathError(path, f"Not a valid field path: {path}")
	try:
		return _eval_path(tree.body, record, path)
	except FieldPathError:
		if default is MISSING:
			raise
		return default
	except RecursionError:
		raise FieldPathError(path, f"Not a valid field path: {path[:100]}")


def _eval_path(node: ast.AST, record: Mapping[str, Any], path: str) -> Any:
	if isinstance(node, ast.Name):
		return _lookup(record, node.id, path)
	if isinstance(node, ast.Attribute):
		return _lookup(_eval_path(node.value, record, path), node.attr, path)
	if isinstance(node, ast.Subscript):
		base = _eval_path(node.value, record, path)
		key = node.slice
		if isinstance(key, ast.Constant) and isinstance(key.value, (int, str)):
			return _lookup(base, key.value, path)
		if (
			isinstance(key, ast.UnaryOp)
			and isinstance(key.op, ast.USub)
			and isinstance(key.operand, ast.Constant)
			and type(key.operand.value) is int
		):
			return _lookup(base, -key.operand.value, path)
	raise FieldPathError(path, f"Not a valid field path: {path}")


def _lookup(container: Any, key: str | int, path: str) -> Any:
	if isinstance(key, int):
		if isinstance(container, (list, tuple)) and -len(container) <= key < len(container):
			return container[key]
		raise FieldPathError(path, f"Field path not found in record: {path} (no row {key})")
	if isinstance(container, Mapping) and key in container:
		return container[key]
	raise FieldPathError(path, f"Field path not found in record: {path} (no field {key!r})")


def parse(expression: str) -> ast.Expression:
	"""The expression's syntax tree; ExpressionError for anything `ast` refuses (syntax, null bytes,
	nesting too deep for the parser)."""
	if len(expression) > MAX_EXPRESSION_LENGTH:
		raise ExpressionError("Expression is too long")
	try:
		return ast.parse(expression.strip(), mode="eval")
	except SyntaxError as e:
		raise ExpressionError(f"Invalid expression {expression!r}: {e.msg}")
	except (ValueError, RecursionError, MemoryError) as e:
		raise ExpressionError(f"Invalid expression {expression!r}: {type(e).__name__}")


def evaluate(expression: str, record: Mapping[str, Any], variables: Mapping[str, Any] | None = None) -> Any:
	"""Evaluate a safe expression. Names resolve to record fields first, then to variables.

	Raises FieldPathError for a missing field and ExpressionError for everything else that goes wrong.
	"""
	return evaluate_node(parse(expression).body, record, variables, expression)


def evaluate_node(
	node: ast.AST, record: Mapping[str, Any], variables: Mapping[str, Any] | None = None, source: str = ""
) -> Any:
	"""Evaluate a node of a tree from `parse` (`source` is the expression it came from, for messages)."""
	try:
		return _Evaluator(record, variables or {}, source).visit(node)
	except SignEngineError:
		raise
	except Exception as e:  # TypeError, OverflowError, AttributeError, RecursionError, MemoryError...
		raise ExpressionError(f"Cannot evaluate {source!r}: {type(e).__name__}: {e}"[:500])


class _Evaluator:
	def __init__(self, record: Mapping[str, Any], variables: Mapping[str, Any], source: str):
		self.record = record
		self.variables = variables
		self.source = source

	def visit(self, node: ast.AST) -> Any:
		method = getattr(self, "visit_" + type(node).__name__, None)
		if method is None:
			raise ExpressionError(f"{type(node).__name__} is not allowed in expression {self.source!r}")
		return method(node)

	def visit_Constant(self, node: ast.Constant) -> Any:
		# bytes would slip past the size checks (b"x" * 10**9), complex and ... have no use here
		if node.value is not None and not isinstance(node.value, (str, int, float)):
			raise ExpressionError(f"{type(node.value).__name__} values are not allowed")
		return node.value

	def visit_Name(self, node: ast.Name) -> Any:
		if node.id in ("True", "False", "None"):
			return {"True": True, "False": False, "None": None}[node.id]
		if node.id in self.record:
			return self.record[node.id]
		if node.id in self.variables:
			return self.variables[node.id]
		raise FieldPathError(node.id)

	def visit_Attribute(self, node: ast.Attribute) -> Any:
		if node.attr.startswith("_"):
			raise ExpressionError(f"Private attribute {node.attr!r} is not allowed")
		return _lookup(self.visit(node.value), node.attr, ast.unparse(node))

	def visit_Subscript(self, node: ast.Subscript) -> Any:
		key = self.visit(node.slice)
		if not isinstance(key, (int, str)):
			raise ExpressionError("Only integer or string subscripts are allowed")
		return _lookup(self.visit(node.value), key, ast.unparse(node))

	def visit_List(self, node: ast.List) -> list:
		return [self.visit(e) for e in node.elts]

	def visit_Tuple(self, node: ast.Tuple) -> tuple:
		return tuple(self.visit(e) for e in node.elts)

	def visit_BinOp(self, node: ast.BinOp) -> Any:
		op = _BIN_OPS.get(type(node.op))
		if op is None:  # ** among them: 10**10**10 would run for hours
			raise ExpressionError(f"Operator {type(node.op).__name__} is not allowed")
		left, right = self.visit(node.left), self.visit(node.right)
		_check_operands(node.op, left, right)
		try:
			return _check_size(op(left, right))
		except (TypeError, ZeroDivisionError, OverflowError, ArithmeticError) as e:
			raise ExpressionError(f"Cannot evaluate {self.source!r}: {e}")

	def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
		value = self.visit(node.operand)
		if isinstance(node.op, ast.Not):
			return not value
		op = {ast.USub: operator.neg, ast.UAdd: operator.pos}.get(type(node.op))
		if op is None:
			raise ExpressionError(f"Operator {type(node.op).__name__} is not allowed")
		try:
			return op(value)
		except TypeError as e:
			raise ExpressionError(f"Cannot evaluate {self.source!r}: {e}")

	def visit_BoolOp(self, node: ast.BoolOp) -> Any:
		if isinstance(node.op, ast.And):
			result: Any = True
			for value in node.values:
				result = self.visit(value)
				if not result:
					return result
			return result
		result = False
		for value in node.values:
			result = self.visit(value)
			if result:
				return result
		return result

	def visit_Compare(self, node: ast.Compare) -> bool:
		left = self.visit(node.left)
		for op_node, comparator in zip(node.ops, node.comparators, strict=True):
			right = self.visit(comparator)
			op = _CMP_OPS.get(type(op_node))
			if op is None:
				raise ExpressionError(f"Comparison {type(op_node).__name__} is not allowed")
			try:
				if not op(left, right):
					return False
			except (TypeError, ValueError) as e:
				raise ExpressionError(f"Cannot compare in {self.source!r}: {e}")
			left = right
		return True

	def visit_IfExp(self, node: ast.IfExp) -> Any:
		return self.visit(node.body) if self.visit(node.test) else self.visit(node.orelse)

	def visit_Call(self, node: ast.Call) -> Any:
		if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
			name = ast.unparse(node.func)
			raise ExpressionError(
				f"Function {name!r} is not allowed; use one of {', '.join(sorted(FUNCTIONS))}"
			)
		if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
			raise ExpressionError("* and ** arguments are not allowed")
		args = [self.visit(a) for a in node.args]
		kwargs = {k.arg: self.visit(k.value) for k in node.keywords}
		try:
			return _check_size(FUNCTIONS[node.func.id](*args, **kwargs))
		except SignEngineError:
			raise
		except Exception as e:  # TypeError, ValueError, OverflowError, AttributeError of a bad argument
			raise ExpressionError(f"Cannot evaluate {node.func.id}() in {self.source!r}: {e}")
