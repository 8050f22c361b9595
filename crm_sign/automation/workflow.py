"""Electronic signatures in Frappe's Workflow editor.

Custom fields on the workflow's states ("Send for Signature": a template and a company signer) and on
the workflow itself (the actions to apply when a request is completed or declined). Entering a state
with a template sends it like a stage rule; the actions are applied as the request's owner.
"""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _

CUSTOM_FIELDS: dict[str, list[dict[str, Any]]] = {
	"Workflow Document State": [
		{
			"fieldname": "crm_sign_template",
			"fieldtype": "Link",
			"options": "Sign Template",
			"label": "Send for Signature",
			"insert_after": "next_action_email_template",
			"description": "When a document enters this state, this template is generated from it and sent",
		},
		{
			"fieldname": "crm_sign_company_signer",
			"fieldtype": "Link",
			"options": "User",
			"label": "Company Signer",
			"insert_after": "crm_sign_template",
			"depends_on": "crm_sign_template",
			"description": "Empty: the template's company signer",
		},
	],
	"Workflow": [
		{
			"fieldname": "crm_sign_on_complete_action",
			"fieldtype": "Link",
			"options": "Workflow Action Master",
			"label": "Action When Signed by Everyone",
			"insert_after": "send_email_alert",
			"description": "Applied to the document when one of its signature requests is completed",
		},
		{
			"fieldname": "crm_sign_on_decline_action",
			"fieldtype": "Link",
			"options": "Workflow Action Master",
			"label": "Action When Declined",
			"insert_after": "crm_sign_on_complete_action",
			"description": "Applied to the document when a signer declines one of its signature requests",
		},
	],
}


def create_workflow_fields() -> None:
	from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

	create_custom_fields(CUSTOM_FIELDS, ignore_validate=True, update=True)


def delete_workflow_fields() -> None:
	for doctype, fields in CUSTOM_FIELDS.items():
		frappe.db.delete(
			"Custom Field", {"dt": doctype, "fieldname": ("in", [df["fieldname"] for df in fields])}
		)
		frappe.clear_cache(doctype=doctype)


def workflow_for(doctype: str) -> dict[str, Any] | None:
	"""The active workflow of `doctype` with its signature settings, as plain data for the index."""
	name = frappe.db.get_value("Workflow", {"document_type": doctype, "is_active": 1}, "name")
	if not name:
		return None
	workflow = frappe.get_doc("Workflow", name)
	states = [
		{
			"state": row.state,
			"template": row.get("crm_sign_template"),
			"company_signer": row.get("crm_sign_company_signer"),
			"idx": row.idx,
		}
		for row in workflow.states
		if row.get("crm_sign_template")
	]
	on_complete = workflow.get("crm_sign_on_complete_action")
	on_decline = workflow.get("crm_sign_on_decline_action")
	return {
		"name": workflow.name,
		"owner": workflow.owner,
		"state_field": workflow.workflow_state_field or "workflow_state",
		"states": states,
		"on_complete": on_complete,
		"on_decline": on_decline,
		"has_actions": bool(on_complete or on_decline or states),
	}


def workflow_state_rules(workflow: dict[str, Any]) -> list[dict[str, Any]]:
	"""A stage rule for each state that sends a template. A state entered again sends again."""
	return [
		{
			"name": None,
			"kind": "Workflow",
			"source": f"Workflow:{workflow['name']}:{state['state']}",
			"owner": workflow["owner"],
			"rule_order": state["idx"],
			"stage_type": "Workflow State",
			"stage_field": workflow["state_field"],
			"stage_value": state["state"],
			"condition": "",
			"template": state["template"],
			"channel": None,
			"company_signer": state["company_signer"],
			"company_signer_field": None,
			"run_mode": "Together",
			"resend_on_reentry": 1,
		}
		for state in workflow["states"]
	]


def validate_workflow(doc, method: str | None = None) -> None:
	"""Workflow `validate` hook: templates of the document's doctype, actions the workflow knows."""
	for row in doc.states:
		template = row.get("crm_sign_template")
		if not template:
			continue
		reference = frappe.db.get_value("Sign Template", template, "reference_doctype")
		if reference != doc.document_type:
			frappe.throw(
				_("Row {0}: Sign Template {1} is for {2}, but this workflow is for {3}").format(
					row.idx, frappe.bold(template), _(reference or "-"), _(doc.document_type)
				),
				title=_("Wrong Template"),
			)
	actions = {row.action for row in doc.transitions}
	for fieldname in ("crm_sign_on_complete_action", "crm_sign_on_decline_action"):
		action = doc.get(fieldname)
		if action and action not in actions:
			frappe.throw(
				_("{0}: no transition of this workflow uses the action {1}").format(
					_(doc.meta.get_label(fieldname)), frappe.bold(action)
				),
				title=_("Unknown Workflow Action"),
			)


def available_actions(doc) -> list[str]:
	"""The workflow actions the session user may apply to `doc` in its current state."""
	from frappe.model.workflow import get_transitions

	return [transition.action for transition in get_transitions(doc)]


def apply_action(doctype: str, name: str, action: str) -> tuple[str, str]:
	"""Apply `action` as the session user. ("Done" | "Skipped", detail); raises when the save fails."""
	from frappe.model.workflow import apply_workflow, get_workflow_name

	doc = frappe.get_doc(doctype, name)
	if action not in available_actions(doc):
		state_field = frappe.db.get_value("Workflow", get_workflow_name(doctype), "workflow_state_field")
		return "Skipped", _("The workflow action {0} cannot be applied in the state {1}").format(
			action, doc.get(state_field or "workflow_state") or "-"
		)
	apply_workflow(doc, action)
	return "Done", _("Applied the workflow action {0}").format(action)
