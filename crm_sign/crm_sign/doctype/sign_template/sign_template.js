// Copyright (c) 2026, crm_sign contributors
// For license information, please see license.txt

frappe.ui.form.on("Sign Template", {
	setup(frm) {
		frm.set_query("reference_doctype", () => ({
			filters: { istable: 0, issingle: 0 },
		}));
		frm.set_query("print_format", () => ({
			filters: { doc_type: frm.doc.reference_doctype, disabled: 0 },
		}));
	},

	refresh(frm) {
		if (frm.is_new()) return;
		if (frm.doc.public_link && frm.doc.public_slug) {
			const url = `${frappe.urllib.get_base_url()}/sign/start/${encodeURIComponent(
				frm.doc.public_slug
			)}`;
			frm.set_df_property(
				"public_slug",
				"description",
				`<a href="${frappe.utils.escape_html(url)}" target="_blank" rel="noopener">${frappe.utils.escape_html(url)}</a>`
			);
		}

		frm.add_custom_button(__("Designer"), () =>
			frappe.set_route("sign-designer", frm.doc.name)
		);
		frm.add_custom_button(__("Preview PDF"), () => {
			frappe
				.call({
					method: "crm_sign.api.desk.preview_template",
					args: { template: frm.doc.name },
					freeze: true,
					freeze_message: __("Rendering preview..."),
				})
				.then((r) => {
					if (r.message) window.open(r.message, "_blank");
				});
		});
	},

	reference_doctype(frm) {
		// A print format belongs to one DocType.
		if (frm.doc.print_format) frm.set_value("print_format", "");
	},
});
