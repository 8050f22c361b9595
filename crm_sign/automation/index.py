"""The cached automation index: per doctype, what the save hook watches and what the triggers do.

Every save of every document passes through the save hook, so the first thing it does is read this
index; a doctype that no rule, trigger or workflow state watches costs one cache lookup (kept in
`frappe.local` for the rest of the request) and no query. The index is rebuilt lazily after a rule,
a workflow or a migrate clears it.
"""

from __future__ import annotations

from typing import Any

import frappe

CACHE_KEY = "crm_sign:automation_index"
# The fields only a stage rule uses and those only a trigger uses (validation clears the other kind's).
RULE_ONLY = (
	"stage_type",
	"stage_field",
	"stage_value",
	"condition",
	"template",
	"channel",
	"company_signer",
	"company_signer_field",
)
TRIGGER_ONLY = (
	"trigger_event",
	"action",
	"set_field",
	"set_value",
	"workflow_action",
	"comment_text",
	"todo_user",
	"notification",
)
# What the index keeps of each Sign Automation Rule (owner and modified_by: triggers act as them).
RULE_FIELDS = (
	"name",
	"title",
	"owner",
	"modified_by",
	"rule_kind",
	"rule_order",
	*RULE_ONLY,
	"run_mode",
	"resend_on_reentry",
	*TRIGGER_ONLY,
)

# Written on every save elsewhere and never watched: skip them without even a cache lookup.
NEVER_WATCHED = frozenset(
	{
		"Comment",
		"Version",
		"Activity Log",
		"Access Log",
		"Error Log",
		"Email Queue",
		"Communication",
		"Notification Log",
		"ToDo",
		"File",
		"DocShare",
		"Deleted Document",
		"Scheduled Job Log",
		"Route History",
		"Sessions",
		"Sign Request",
		"Sign Audit Event",
		"Sign Automation Rule",
		"Sign Automation Run",
		"Sign Template",
		"Sign Settings",
	}
)


def get_index(doctype: str) -> dict[str, Any]:
	"""{} when nothing watches `doctype`; else {"watch", "rules", "triggers", "workflow"}."""
	if doctype in NEVER_WATCHED:
		return {}
	return frappe.cache.hget(CACHE_KEY, doctype, lambda: build_index(doctype)) or {}


def clear_index(*args, **kwargs) -> None:
	"""Doc-event compatible: called when a rule or a workflow changes, and after migrate."""
	frappe.cache.delete_value(CACHE_KEY)


def build_index(doctype: str) -> dict[str, Any]:
	if not _tables_ready():
		return {}
	from crm_sign.automation.workflow import workflow_for, workflow_state_rules

	workflow = workflow_for(doctype)
	rows = frappe.get_all(
		"Sign Automation Rule",
		filters={"reference_doctype": doctype, "enabled": 1},
		fields=list(RULE_FIELDS),
		order_by="rule_order asc, creation asc",
	)
	rules, triggers = [], []
	for row in rows:
		if row.rule_kind == "Trigger":
			row.only_templates = _templates_of(row.name, "only_templates")
			triggers.append(dict(row))
			continue
		rule = _stage_rule(row, workflow)
		if rule:
			rules.append(rule)
	rules += workflow_state_rules(workflow) if workflow else []
	if not (rules or triggers or (workflow and workflow.get("has_actions"))):
		return {}
	watch: dict[str, list[str]] = {}
	for rule in rules:
		watch.setdefault(rule["stage_field"], [])
		if rule["stage_value"] not in watch[rule["stage_field"]]:
			watch[rule["stage_field"]].append(rule["stage_value"])
	return {
		"watch": watch,
		"rules": rules,
		"triggers": triggers,
		"workflow": workflow,
		"sequential": any(rule["run_mode"] == "One after another" for rule in rules),
	}


def _templates_of(rule: str, parentfield: str) -> list[str]:
	return frappe.get_all(
		"Sign Automation Template",
		filters={"parent": rule, "parenttype": "Sign Automation Rule", "parentfield": parentfield},
		pluck="template",
		order_by="idx asc",
	)


def _stage_rule(row, workflow: dict | None) -> dict | None:
	rule = dict(row)
	rule["envelope_templates"] = _templates_of(row.name, "envelope_templates")
	rule["kind"] = "Rule"
	rule["source"] = row.name
	if row.stage_type == "Workflow State":
		if not workflow:
			return None  # the doctype's workflow was deactivated: the rule waits for one
		rule["stage_field"] = workflow["state_field"]
	if not (rule.get("stage_field") and rule.get("stage_value") and rule.get("template")):
		return None
	rule["stage_value"] = str(rule["stage_value"])
	return rule


def rule_by_source(doctype: str, source: str) -> dict | None:
	return next((rule for rule in get_index(doctype).get("rules", []) if rule["source"] == source), None)


def _tables_ready() -> bool:
	"""False while the app is being installed (its tables or the workflow fields do not exist yet)."""
	return bool(
		frappe.db.table_exists("Sign Automation Rule") and frappe.db.table_exists("Sign Automation Run")
	)
