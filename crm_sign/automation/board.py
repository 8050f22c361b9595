"""Sign Requests as stages: a Kanban board by status (the workspace's number cards are JSON records)."""

from __future__ import annotations

import json

import frappe

BOARD_NAME = "Sign Requests"
COLUMN_COLORS = {
	"Draft": "Gray",
	"Sent": "Blue",
	"Viewed": "Cyan",
	"Partially Signed": "Orange",
	"Completed": "Green",
	"Declined": "Red",
	"Expired": "Gray",
	"Cancelled": "Gray",
}
CARD_FIELDS = ["reference_doctype", "reference_name", "template", "expires_on"]


def ensure_kanban_board() -> None:
	"""Create the public board once; columns a user archived or reordered later are kept."""
	if frappe.db.exists("Kanban Board", BOARD_NAME):
		return
	options = frappe.get_meta("Sign Request").get_field("status").options or ""
	frappe.get_doc(
		{
			"doctype": "Kanban Board",
			"kanban_board_name": BOARD_NAME,
			"reference_doctype": "Sign Request",
			"field_name": "status",
			"private": 0,
			"show_labels": 1,
			"fields": json.dumps(CARD_FIELDS),
			"columns": [
				{"column_name": status, "status": "Active", "indicator": COLUMN_COLORS.get(status, "Gray")}
				for status in options.split("\n")
				if status
			],
		}
	).insert(ignore_permissions=True)
