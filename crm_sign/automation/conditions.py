"""Check a rule condition when the rule is saved, so a typo fails there and not on a user's save.

Conditions use the engine's safe expression language (the one field maps use) rather than
`frappe.safe_eval`: the same syntax in templates and rules, no attribute access on Python objects,
a short list of functions, and names that can be checked against the doctype's fields and the Sign
Settings constants before anything runs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from crm_sign.engine.errors import ExpressionError, FieldPathError
from crm_sign.engine.expressions import (
	_BIN_OPS,
	_CMP_OPS,
	FUNCTIONS,
	MAX_EXPRESSION_LENGTH,
	evaluate_node,
	parse,
)

_NODES = (
	ast.Expression,
	ast.Constant,
	ast.Name,
	ast.Load,
	ast.Attribute,
	ast.Subscript,
	ast.List,
	ast.Tuple,
	ast.BinOp,
	ast.UnaryOp,
	ast.BoolOp,
	ast.Compare,
	ast.IfExp,
	ast.Call,
	ast.keyword,
	ast.And,
	ast.Or,
	ast.Not,
	ast.USub,
	ast.UAdd,
	*_BIN_OPS,
	*_CMP_OPS,
)
_LITERAL_NAMES = {"True", "False", "None"}


def check_condition(condition: str, known_names: Iterable[str]) -> None:
	"""Raise ExpressionError for a syntax error, a construct the evaluator refuses, an unknown name, or
	a part made of constants only that cannot be evaluated (``[0] * 2000000000``, ``1 / 0``)."""
	condition = (condition or "").strip()
	if not condition:
		return
	if len(condition) > MAX_EXPRESSION_LENGTH:
		raise ExpressionError("The condition is too long")
	try:
		tree = parse(condition)
	except ExpressionError as e:
		raise ExpressionError(str(e).replace("Invalid expression", "Invalid condition", 1))
	known = set(known_names) | _LITERAL_NAMES
	for node in ast.walk(tree):
		if not isinstance(node, _NODES):
			raise ExpressionError(f"{type(node).__name__} is not allowed in a condition")
		if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS):
			raise ExpressionError(
				f"Function {ast.unparse(node.func)} is not allowed; use one of {', '.join(sorted(FUNCTIONS))}"
			)
		if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
			raise ExpressionError(f"Private attribute {node.attr} is not allowed")
	called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call)}
	for node in ast.walk(tree):
		if isinstance(node, ast.Name) and node.id not in called and node.id not in known:
			raise ExpressionError(f"Unknown field or constant: {node.id}")
	_check_constant_parts(tree, condition)


def _check_constant_parts(tree: ast.Expression, condition: str) -> None:
	"""Evaluate each operation that reads no field now, so its error shows when the rule is saved."""
	for node in ast.walk(tree):
		if not isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Call)):
			continue
		if any(isinstance(part, ast.Name) and part.id not in _LITERAL_NAMES for part in _operands(node)):
			continue
		try:
			evaluate_node(node, {}, source=condition)
		except FieldPathError:
			pass  # cannot happen without names; the evaluator decides at runtime


def _operands(node: ast.AST) -> list[ast.AST]:
	"""The nodes under `node`, without the function names of calls (they are not fields)."""
	skip = {id(sub.func) for sub in ast.walk(node) if isinstance(sub, ast.Call)}
	return [sub for sub in ast.walk(node) if id(sub) not in skip]
