// Copyright (c) 2026, crm_sign contributors
// For license information, please see license.txt

frappe.ui.form.on("Sign Settings", {
	refresh(frm) {
		frm.add_custom_button(__("Download Seal Certificate"), () => {
			window.open(
				"/api/method/crm_sign.signing.seal_certificate.download_seal_certificate",
				"_blank"
			);
		});
	},

	setup(frm) {
		frm.set_query("document_type", "enabled_doctypes", () => ({
			filters: { istable: 0, issingle: 0 },
		}));
	},
});
