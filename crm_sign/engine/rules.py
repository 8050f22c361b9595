"""Rule matching for stage automation, on plain dicts.

"Entered stage X" means the watched field now holds X and did not before (a new record created in
that stage counts). Conditions use the same safe expressions as field maps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ExpressionError, FieldPathError
from .expressions import evaluate


@dataclass
class StageRule:
	name: str
	stage_field: str
	stage_value: str
	condition: str = ""
	order: int = 0
	data: dict[str, Any] = field(default_factory=dict)  # whatever the caller needs back


def entered_stage(
	old: Mapping[str, Any] | None, new: Mapping[str, Any], stage_field: str, value: str
) -> bool:
	"""True when `new[stage_field] == value` and `old` (None for a new record) held something else."""
	current = new.get(stage_field)
	if current is None or str(current) != str(value):
		return False
	return old is None or str(old.get(stage_field) or "") != str(value)


def condition_holds(
	condition: str, record: Mapping[str, Any], variables: Mapping[str, Any] | None = None
) -> bool:
	"""An empty condition holds; a condition naming a missing field does not."""
	if not (condition or "").strip():
		return True
	try:
		return bool(evaluate(condition, record, variables))
	except FieldPathError:
		return False


def validate_condition(condition: str) -> None:
	"""Raise ExpressionError when `condition` cannot be parsed (checked when a rule is saved)."""
	import ast

	if not (condition or "").strip():
		return
	try:
		ast.parse(condition.strip(), mode="eval")
	except SyntaxError as e:
		raise ExpressionError(f"Invalid condition: {e.msg}")


def matching_rules(
	rules: Iterable[StageRule],
	old: Mapping[str, Any] | None,
	new: Mapping[str, Any],
	variables: Mapping[str, Any] | None = None,
) -> list[StageRule]:
	"""The rules whose stage `new` has just entered and whose condition holds, in rule order."""
	hits = [
		rule
		for rule in rules
		if entered_stage(old, new, rule.stage_field, rule.stage_value)
		and condition_holds(rule.condition, new, variables)
	]
	return sorted(hits, key=lambda rule: (rule.order, rule.name))
