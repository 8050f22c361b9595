"""Install, migrate, uninstall and test-setup hooks."""

import frappe

from crm_sign.signing.settings import DEFAULT_CONTACT_FIELDS

ROLES = ("Sign Manager", "Sign User")


def after_install() -> None:
	after_migrate()


def after_migrate() -> None:
	"""Idempotent setup that must also reach sites upgraded from older versions."""
	create_roles()
	set_default_settings()
	from crm_sign.signing.seal_certificate import ensure_seal_certificate

	ensure_seal_certificate()
	setup_automation()


def setup_automation() -> None:
	"""Workflow editor fields, the Sign Requests Kanban board, and a fresh automation index."""
	from crm_sign.automation.board import ensure_kanban_board
	from crm_sign.automation.index import clear_index
	from crm_sign.automation.workflow import create_workflow_fields

	create_workflow_fields()
	ensure_kanban_board()
	clear_index()


def create_roles() -> None:
	for role in ROLES:
		if not frappe.db.exists("Role", role):
			frappe.get_doc({"doctype": "Role", "role_name": role, "desk_access": 1}).insert(
				ignore_permissions=True
			)


def set_default_settings() -> None:
	"""Enable the CRM doctypes with their contact fields, once; later edits by the user are kept."""
	settings = frappe.get_single("Sign Settings")
	if settings.enabled_doctypes:
		return
	for doctype, fields in DEFAULT_CONTACT_FIELDS.items():
		if frappe.db.exists("DocType", doctype):
			settings.append("enabled_doctypes", {"document_type": doctype, **fields})
	settings.flags.ignore_permissions = True
	settings.save()


def before_uninstall() -> None:
	from crm_sign.automation.index import clear_index
	from crm_sign.automation.workflow import delete_workflow_fields

	delete_workflow_fields()
	clear_index()


def before_tests() -> None:
	"""Complete ERPNext's setup (a Company, fiscal year, Sales Stages) as its own tests do."""
	from erpnext.setup.utils import before_tests as erpnext_before_tests

	erpnext_before_tests()
	after_migrate()
	frappe.db.commit()  # nosemgrep: fixtures must survive the test runner's per-class rollback
