"""Check a rule condition when the rule is saved, so a typo fails there and not on a user's save.

Conditions use the engine's safe expression language (the one field maps use) rather than
`frappe.safe_eval`: the same syntax in templates and rules, no attribute access on Python objects,
a short list of functions, and names that can be checked against the doctype's fields and the Sign
Settings constants before anything runs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from crm_sign.engine.errors import ExpressionError
from crm_sign.engine.expressions import _BIN_OPS, _CMP_OPS, FUNCTIONS, MAX_EXPRESSION_LENGTH

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
	"""Raise ExpressionError for a syntax error, a construct the evaluator refuses, or an unknown name."""
	condition = (condition or "").strip()
	if not condition:
		return
	if len(condition) > MAX_EXPRESSION_LENGTH:
		raise ExpressionError("The condition is too long")
	try:
		tree = ast.parse(condition, mode="eval")
	except SyntaxError as e:
		raise ExpressionError(f"Invalid condition: {e.msg}")
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
