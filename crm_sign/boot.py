"""Desk boot info: which doctypes show the Sign button."""

import frappe


def boot_session(bootinfo) -> None:
	if frappe.session.user == "Guest" or not frappe.db.exists("DocType", "Sign Settings"):
		return
	from crm_sign.signing.settings import enabled_doctypes

	bootinfo.crm_sign = {"enabled_doctypes": enabled_doctypes()}
