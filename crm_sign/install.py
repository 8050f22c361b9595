"""Install, migrate, uninstall and test-setup hooks."""

import frappe


def after_install() -> None:
	after_migrate()


def after_migrate() -> None:
	"""Idempotent setup that must also reach sites upgraded from older versions."""


def before_uninstall() -> None:
	pass


def before_tests() -> None:
	"""Complete ERPNext's setup (a Company, fiscal year, Sales Stages) as its own tests do."""
	from erpnext.setup.utils import before_tests as erpnext_before_tests

	erpnext_before_tests()
	frappe.db.commit()  # nosemgrep: fixtures must survive the test runner's per-class rollback
