// Copyright (c) 2026, crm_sign contributors
// For license information, please see license.txt

frappe.ui.form.on("Sign Settings", {
	setup(frm) {
		frm.set_query("document_type", "enabled_doctypes", () => ({
			filters: { istable: 0, issingle: 0 },
		}));
	},
});
