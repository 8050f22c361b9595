# Copyright (c) 2026, crm_sign contributors
# For license information, please see license.txt

from frappe.model.document import Document


class SignAutomationRun(Document):
	"""One execution of a rule, trigger or workflow setting; written only by crm_sign.automation."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		detail: DF.SmallText | None
		entered_on: DF.Datetime | None
		entry: DF.Int
		error: DF.Code | None
		event: DF.Data | None
		kind: DF.Literal["Rule", "Trigger", "Workflow"]
		reference_doctype: DF.Link | None
		reference_name: DF.DynamicLink | None
		rule: DF.Link | None
		run_as: DF.Link | None
		run_key: DF.Data | None
		sequence: DF.Int
		sign_request: DF.Link | None
		source: DF.Data | None
		status: DF.Literal["Running", "Sent", "Waiting", "Done", "Skipped", "Failed", "Cancelled"]
	# end: auto-generated types
	pass
