// Copyright (c) 2026, crm_sign contributors
// For license information, please see license.txt

frappe.ui.form.on("Sign Audit Event", {
	refresh(frm) {
		// Audit events are append-only.
		frm.disable_save();
	},
});
