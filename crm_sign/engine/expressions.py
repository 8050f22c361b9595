"""A small, safe expression language over a record given as nested dicts.

Used by template field maps (``=upper(customer.customer_name)``) and by automation rule
conditions (``opportunity_amount > 1000 and status == "Open"``). Expressions are parsed with
`ast` and evaluated by walking a short whitelist of node types: no attribute access on Python
objects, no imports, no calls except the functions in FUNCTIONS.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

from .errors import ExpressionError, FieldPathError
from .formatting import format_date, format_money, format_number

MISSING = object()

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

FUNCTIONS: dict[str, Callable[..., Any]] = {
	"upper": lambda v: str(v or "").upper(),
	"lower": lambda v: str(v or "").lower(),
	"title": lambda v: str(v or "").title(),
	"strip": lambda v: str(v or "").strip(),
	"len": lambda v: len(v or ()),
	"round": round,
	"abs": abs,
	"min": min,
	"max": max,
	"int": int,
	"float": float,
	"str": lambda v: "" if v is None else str(v),
	"concat": lambda *parts: "".join("" if p is None else str(p) for p in parts),
	"join": lambda items, sep=", ": sep.join(str(i) for i in (items or ()) if i is not None),
	"default": lambda v, fallback: fallback if v in (None, "") else v,
	"date": format_date,
	"money": format_money,
	"number": format_number,
	"sum": lambda items, key=None: sum((i.get(key) or 0) if key else (i or 0) for i in (items or ())),
}

MAX_EXPRESSION_LENGTH = 500


def get_path(record: Mapping[str, Any], path: str, default: Any = MISSING) -> Any:
	"""Read ``customer.email_id`` or ``items[0].item_name`` from nested dicts and lists.

	Raises FieldPathError naming the path when a part is missing and no default is given.
	"""
	try:
		tree = ast.parse(path.strip(), mode="eval")
	except SyntaxError:
		raise FieldPathError(path, f"Not a valid field path: {path}")
	try:
		return _eval_path(tree.body, record, path)
	except FieldPathError:
		if default is MISSING:
			raise
		return default


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


def evaluate(expression: str, record: Mapping[str, Any], variables: Mapping[str, Any] | None = None) -> Any:
	"""Evaluate a safe expression. Names resolve to record fields first, then to variables."""
	if len(expression) > MAX_EXPRESSION_LENGTH:
		raise ExpressionError("Expression is too long")
	try:
		tree = ast.parse(expression.strip(), mode="eval")
	except SyntaxError as e:
		raise ExpressionError(f"Invalid expression {expression!r}: {e.msg}")
	return _Evaluator(record, variables or {}, expression).visit(tree.body)


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
		if op is None:
			raise ExpressionError(f"Operator {type(node.op).__name__} is not allowed")
		left, right = self.visit(node.left), self.visit(node.right)
		if isinstance(node.op, ast.Mult) and (isinstance(left, str) or isinstance(right, str)):
			raise ExpressionError("String repetition is not allowed")
		try:
			return op(left, right)
		except (TypeError, ZeroDivisionError) as e:
			raise ExpressionError(f"Cannot evaluate {self.source!r}: {e}")

	def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
		value = self.visit(node.operand)
		if isinstance(node.op, ast.Not):
			return not value
		if isinstance(node.op, ast.USub):
			return -value
		if isinstance(node.op, ast.UAdd):
			return +value
		raise ExpressionError(f"Operator {type(node.op).__name__} is not allowed")

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
			except TypeError as e:
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
		args = [self.visit(a) for a in node.args]
		kwargs = {k.arg: self.visit(k.value) for k in node.keywords if k.arg}
		try:
			return FUNCTIONS[node.func.id](*args, **kwargs)
		except (TypeError, ValueError) as e:
			raise ExpressionError(f"Cannot evaluate {node.func.id}() in {self.source!r}: {e}")
