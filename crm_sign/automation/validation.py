"""Validation of Sign Automation Rules: every mistake is reported when the rule is saved, in words."""

from __future__ import annotations

import frappe
from frappe import _

from crm_sign.automation.conditions import check_condition
from crm_sign.automation.index import NEVER_WATCHED, RULE_ONLY, TRIGGER_ONLY
from crm_sign.engine.errors import ExpressionError

STAGE_FIELDTYPES = ("Select", "Link", "Data", "Autocomplete")
NOT_SETTABLE = (
	"Table",
	"Table MultiSelect",
	"Section Break",
	"Column Break",
	"Tab Break",
	"HTML",
	"Button",
	"Fold",
	"Heading",
	"Image",
)
STANDARD_NAMES = ("name", "owner", "creation", "modified", "modified_by", "docstatus", "idx", "doctype")


def validate_rule(rule) -> None:
	validate_reference_doctype(rule)
	if rule.rule_kind == "Trigger":
		_clear(rule, RULE_ONLY)
		rule.envelope_templates = []
		validate_trigger(rule)
	else:
		_clear(rule, TRIGGER_ONLY)
		rule.only_templates = []
		validate_stage(rule)
		validate_template(rule, rule.template)
		for row in rule.envelope_templates:
			validate_template(rule, row.template)
			if row.template == rule.template:
				frappe.throw(
					_("Sign Template {0} is in the envelope twice.").format(frappe.bold(row.template))
				)
		validate_company_signer_field(rule)
		validate_condition(rule)


def _clear(rule, fieldnames: tuple[str, ...]) -> None:
	for fieldname in fieldnames:
		rule.set(fieldname, None)


def validate_reference_doctype(rule) -> None:
	doctype = frappe.db.get_value("DocType", rule.reference_doctype, ["istable", "issingle"], as_dict=True)
	if not doctype:
		frappe.throw(_("DocType {0} does not exist").format(frappe.bold(rule.reference_doctype)))
	if doctype.istable or doctype.issingle:
		frappe.throw(
			_("Automation cannot watch {0}: child tables and single DocTypes have no stages").format(
				frappe.bold(_(rule.reference_doctype))
			)
		)
	if rule.reference_doctype in NEVER_WATCHED:
		frappe.throw(
			_("Automation cannot watch {0}: it is written by the system on every change").format(
				frappe.bold(_(rule.reference_doctype))
			)
		)


def active_workflow(doctype: str) -> frappe._dict | None:
	return frappe.db.get_value(
		"Workflow", {"document_type": doctype, "is_active": 1}, ["name", "workflow_state_field"], as_dict=True
	)


def _require_workflow(rule) -> frappe._dict:
	workflow = active_workflow(rule.reference_doctype)
	if not workflow:
		frappe.throw(
			_("{0} has no active Workflow. Activate one, or use a Field stage").format(
				frappe.bold(_(rule.reference_doctype))
			),
			title=_("No Workflow"),
		)
	return workflow


def validate_stage(rule) -> None:
	if not rule.stage_value:
		frappe.throw(_("Set the Stage the record enters"))
	if rule.stage_type == "Workflow State":
		workflow = _require_workflow(rule)
		rule.stage_field = workflow.workflow_state_field or "workflow_state"
		if not frappe.db.exists(
			"Workflow Document State",
			{"parent": workflow.name, "parenttype": "Workflow", "state": rule.stage_value},
		):
			frappe.throw(
				_("{0} is not a state of the workflow {1}").format(
					frappe.bold(rule.stage_value), frappe.bold(workflow.name)
				)
			)
		return
	df = _field(rule, rule.stage_field, _("Stage Field"))
	if df.fieldtype not in STAGE_FIELDTYPES:
		frappe.throw(
			_("{0} is a {1} field; a stage is a Select, Link or Data field").format(
				frappe.bold(rule.stage_field), _(df.fieldtype)
			)
		)
	validate_value(rule, df, rule.stage_value)


def validate_value(rule, df, value: str | None) -> None:
	if not value:
		return
	if df.fieldtype == "Select":
		options = [option for option in (df.options or "").split("\n") if option]
		if options and value not in options:
			frappe.throw(
				_("{0} is not an option of {1}: {2}").format(
					frappe.bold(value), frappe.bold(_(df.label)), ", ".join(options)
				)
			)
	elif df.fieldtype == "Link" and df.options and not frappe.db.exists(df.options, value):
		frappe.throw(_("{0} {1} does not exist").format(_(df.options), frappe.bold(value)))


def _field(rule, fieldname: str | None, label: str):
	if not fieldname:
		frappe.throw(_("Set the {0}").format(label))
	df = frappe.get_meta(rule.reference_doctype).get_field(fieldname)
	if not df:
		frappe.throw(
			_("{0} has no field {1}").format(frappe.bold(_(rule.reference_doctype)), frappe.bold(fieldname))
		)
	return df


def validate_template(rule, template: str | None) -> None:
	if not template:
		frappe.throw(_("Select the Sign Template to send"))
	values = frappe.db.get_value("Sign Template", template, ["reference_doctype", "enabled"], as_dict=True)
	if not values:
		frappe.throw(_("Sign Template {0} does not exist").format(frappe.bold(template)))
	if values.reference_doctype != rule.reference_doctype:
		frappe.throw(
			_("Sign Template {0} is for {1}, but this rule watches {2}").format(
				frappe.bold(template), _(values.reference_doctype), _(rule.reference_doctype)
			),
			title=_("Wrong Template"),
		)
	if not values.enabled and rule.rule_kind == "Rule" and rule.enabled:
		frappe.msgprint(
			_("Sign Template {0} is disabled: the rule fails until it is enabled").format(
				frappe.bold(template)
			),
			indicator="orange",
			alert=True,
		)


def validate_company_signer_field(rule) -> None:
	if not rule.company_signer_field:
		return
	df = _field(rule, rule.company_signer_field, _("Company Signer Field"))
	if not (df.fieldtype == "Link" and df.options == "User"):
		frappe.throw(_("Company Signer Field {0} must be a link to a User").format(frappe.bold(df.label)))


def validate_condition(rule) -> None:
	from crm_sign.signing.settings import site_variables

	meta = frappe.get_meta(rule.reference_doctype)
	names = [df.fieldname for df in meta.fields] + list(STANDARD_NAMES) + list(site_variables())
	try:
		check_condition(rule.condition or "", names)
	except ExpressionError as e:
		frappe.throw(_("The condition cannot be used: {0}").format(str(e)), title=_("Invalid Condition"))


def validate_trigger(rule) -> None:
	if not rule.trigger_event:
		frappe.throw(_("Select the Event the trigger waits for"))
	if not rule.action:
		frappe.throw(_("Select the Action the trigger takes"))
	for row in rule.only_templates:
		validate_template(rule, row.template)
	{
		"Set field": validate_set_field,
		"Apply workflow action": validate_workflow_action,
		"Add comment": validate_text,
		"Create ToDo": validate_text,
		"Send notification": validate_notification,
	}[rule.action](rule)


def validate_set_field(rule) -> None:
	df = _field(rule, rule.set_field, _("Field"))
	if df.fieldtype in NOT_SETTABLE:
		frappe.throw(_("{0} is a {1} and cannot be set").format(frappe.bold(df.label), _(df.fieldtype)))
	validate_value(rule, df, rule.set_value)


def validate_workflow_action(rule) -> None:
	if not rule.workflow_action:
		frappe.throw(_("Select the Workflow Action to apply"))
	workflow = _require_workflow(rule)
	if not frappe.db.exists(
		"Workflow Transition",
		{"parent": workflow.name, "parenttype": "Workflow", "action": rule.workflow_action},
	):
		frappe.throw(
			_("No transition of the workflow {0} uses the action {1}").format(
				frappe.bold(workflow.name), frappe.bold(rule.workflow_action)
			)
		)


def validate_text(rule) -> None:
	from crm_sign.signing.text_templates import validate_text as validate_template_text

	if rule.action == "Add comment" and not (rule.comment_text or "").strip():
		frappe.throw(_("Write the Text of the comment"))
	# the sandbox that renders it, not Frappe's: a text that passes here renders there
	validate_template_text(rule.comment_text, _("The text of this rule"), html=True)


def validate_notification(rule) -> None:
	if not rule.notification:
		frappe.throw(_("Select the Notification to send"))
	document_type = frappe.db.get_value("Notification", rule.notification, "document_type")
	if document_type != rule.reference_doctype:
		frappe.throw(
			_("Notification {0} is for {1}, but this trigger acts on {2}").format(
				frappe.bold(rule.notification), _(document_type or "-"), _(rule.reference_doctype)
			)
		)
