import pytest

from crm_sign.engine.errors import ExpressionError
from crm_sign.engine.rules import (
	StageRule,
	condition_holds,
	entered_stage,
	matching_rules,
	validate_condition,
)


def test_entered_stage():
	assert entered_stage(
		{"sales_stage": "Prospecting"}, {"sales_stage": "Proposal"}, "sales_stage", "Proposal"
	)
	assert entered_stage(None, {"sales_stage": "Proposal"}, "sales_stage", "Proposal")  # created in stage
	assert not entered_stage(
		{"sales_stage": "Proposal"}, {"sales_stage": "Proposal"}, "sales_stage", "Proposal"
	)
	assert not entered_stage({"sales_stage": "Proposal"}, {"sales_stage": "Won"}, "sales_stage", "Proposal")
	assert not entered_stage({}, {}, "sales_stage", "Proposal")


def test_conditions():
	record = {"opportunity_amount": 5000, "customer": {"territory": "Türkiye"}}
	assert condition_holds("", record)
	assert condition_holds("opportunity_amount >= 5000 and customer.territory == 'Türkiye'", record)
	assert not condition_holds("opportunity_amount > threshold", record, {"threshold": 10000})
	assert not condition_holds("missing_field == 1", record)
	with pytest.raises(ExpressionError):
		condition_holds("__import__('os')", record)
	with pytest.raises(ExpressionError):
		validate_condition("amount >")


def test_matching_rules_in_order():
	rules = [
		StageRule("b", "sales_stage", "Proposal", order=2),
		StageRule("a", "sales_stage", "Proposal", order=1),
		StageRule("big", "sales_stage", "Proposal", condition="amount > 100", order=0),
		StageRule("other", "status", "Open"),
	]
	old, new = (
		{"sales_stage": "Qualification", "status": "Open"},
		{"sales_stage": "Proposal", "status": "Open", "amount": 50},
	)
	assert [r.name for r in matching_rules(rules, old, new)] == ["a", "b"]
	new["amount"] = 500
	assert [r.name for r in matching_rules(rules, old, new)] == ["big", "a", "b"]
	assert matching_rules(rules, new, new) == []
