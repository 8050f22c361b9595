"""Choices for the Sign Automation Rule form: the doctype's stage fields, their values, its workflow."""

from __future__ import annotations

import frappe
from frappe import _

from crm_sign.automation.validation import NOT_SETTABLE, STAGE_FIELDTYPES, active_workflow

MAX_LINK_VALUES = 200


@frappe.whitelist()
def get_rule_options(reference_doctype: str) -> dict:
	"""Fields to pick from and the active workflow (states and actions) of `reference_doctype`."""
	frappe.has_permission("Sign Automation Rule", "read", throw=True)
	meta = frappe.get_meta(reference_doctype)

	def option(df) -> dict:
		return {"value": df.fieldname, "label": f"{_(df.label or df.fieldname)} ({df.fieldname})"}

	workflow = active_workflow(reference_doctype)
	workflow_data = None
	if workflow:
		doc = frappe.get_cached_doc("Workflow", workflow.name)
		workflow_data = {
			"name": doc.name,
			"state_field": doc.workflow_state_field or "workflow_state",
			"states": [row.state for row in doc.states],
			"actions": sorted({row.action for row in doc.transitions}),
		}
	return {
		"stage_fields": [option(df) for df in meta.fields if df.fieldtype in STAGE_FIELDTYPES],
		"set_fields": [
			option(df)
			for df in meta.fields
			if df.fieldtype not in NOT_SETTABLE and df.fieldtype != "Column Break" and not df.is_virtual
		],
		"user_fields": [option(df) for df in meta.fields if df.fieldtype == "Link" and df.options == "User"],
		"workflow": workflow_data,
	}


@frappe.whitelist()
def get_field_values(reference_doctype: str, fieldname: str) -> list[str]:
	"""The values a stage field can hold: a Select's options or (some of) a Link's records."""
	frappe.has_permission("Sign Automation Rule", "read", throw=True)
	df = frappe.get_meta(reference_doctype).get_field(fieldname)
	if not df:
		return []
	if df.fieldtype == "Select":
		return [option for option in (df.options or "").split("\n") if option]
	if df.fieldtype == "Link" and df.options and frappe.has_permission(df.options, "read"):
		return frappe.get_list(df.options, pluck="name", limit=MAX_LINK_VALUES, order_by="name asc")
	return []
