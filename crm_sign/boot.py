"""Desk boot info: which doctypes show the Sign button, and the status colours (one map for the
timeline, the form and the list)."""

import frappe


def boot_session(bootinfo) -> None:
	if frappe.session.user == "Guest" or not frappe.db.exists("DocType", "Sign Settings"):
		return
	from crm_sign.signing.settings import enabled_doctypes
	from crm_sign.signing.timeline import INDICATORS

	bootinfo.crm_sign = {"enabled_doctypes": enabled_doctypes(), "indicators": INDICATORS}
