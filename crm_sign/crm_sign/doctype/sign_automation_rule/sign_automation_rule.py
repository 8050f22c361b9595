# Copyright (c) 2026, crm_sign contributors
# For license information, please see license.txt

from frappe.model.document import Document

from crm_sign.automation.index import clear_index
from crm_sign.automation.validation import validate_rule


class SignAutomationRule(Document):
	"""A Rule sends a template when a record enters a stage; a Trigger acts when a signer acts."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from crm_sign.crm_sign.doctype.sign_automation_template.sign_automation_template import (
			SignAutomationTemplate,
		)

		action: DF.Literal[
			"Set field", "Apply workflow action", "Add comment", "Create ToDo", "Send notification"
		]
		channel: DF.Literal["", "Email", "SMS", "Email and SMS"]
		comment_text: DF.SmallText | None
		company_signer: DF.Link | None
		company_signer_field: DF.Literal[None]
		condition: DF.Code | None
		enabled: DF.Check
		envelope_templates: DF.TableMultiSelect[SignAutomationTemplate]
		notification: DF.Link | None
		only_templates: DF.TableMultiSelect[SignAutomationTemplate]
		reference_doctype: DF.Link
		resend_on_reentry: DF.Check
		rule_kind: DF.Literal["Rule", "Trigger"]
		rule_order: DF.Int
		run_mode: DF.Literal["Together", "One after another"]
		set_field: DF.Literal[None]
		set_value: DF.Data | None
		stage_field: DF.Literal[None]
		stage_type: DF.Literal["Field", "Workflow State"]
		stage_value: DF.Autocomplete | None
		template: DF.Link | None
		title: DF.Data
		todo_user: DF.Link | None
		trigger_event: DF.Literal[
			"Viewed", "Signed by counterparty", "Signed by company", "Completed", "Declined", "Expired"
		]
		workflow_action: DF.Link | None
	# end: auto-generated types

	def validate(self):
		validate_rule(self)

	def on_update(self):
		clear_index()

	def on_trash(self):
		clear_index()
