// Copyright (c) 2026, crm_sign contributors
// For license information, please see license.txt

frappe.provide("crm_sign.sign_request");

Object.assign(crm_sign.sign_request, {
	OPEN_STATUSES: ["Sent", "Viewed", "Partially Signed"],
	// The colours come from the server (crm_sign/signing/timeline.py INDICATORS, via boot).
	indicator_color(status) {
		return (frappe.boot.crm_sign?.indicators || {})[status] || "gray";
	},

	is_open(frm) {
		return crm_sign.sign_request.OPEN_STATUSES.includes(frm.doc.status);
	},

	set_indicator(frm) {
		if (frm.is_dirty() || !frm.doc.status) return;
		const color = crm_sign.sign_request.indicator_color(frm.doc.status);
		frm.page.set_indicator(__(frm.doc.status), color);
	},

	show_last_error(frm) {
		if (!frm.doc.last_error) return;
		frm.set_intro(
			__("Last error: {0}", [frappe.utils.escape_html(frm.doc.last_error)]),
			"red"
		);
	},

	has_pending_company_signer(frm) {
		return (frm.doc.signers || []).some(
			(row) => row.signer_role === "Company" && !["Signed", "Declined"].includes(row.status)
		);
	},

	add_buttons(frm) {
		const me = crm_sign.sign_request;
		if (me.is_open(frm)) {
			if (me.has_pending_company_signer(frm)) {
				frm.add_custom_button(__("Sign as Company"), () => me.sign_as_company(frm));
			}
			frm.add_custom_button(__("Resend"), () => me.resend(frm), __("Actions"));
			frm.add_custom_button(__("Cancel Request"), () => me.cancel(frm), __("Actions"));
		}
		const sealed = (frm.doc.documents || []).filter((row) => row.signed_pdf);
		if (sealed.length) {
			// An envelope: one sealed file per document.
			for (const row of sealed) {
				frm.add_custom_button(
					__("Signed: {0}", [frappe.utils.escape_html(row.document_title || "")]),
					() => window.open(row.signed_pdf, "_blank"),
					__("View")
				);
			}
		} else if (frm.doc.signed_pdf) {
			frm.add_custom_button(
				__("Open Signed PDF"),
				() => window.open(frm.doc.signed_pdf, "_blank"),
				__("View")
			);
		}
		if (frm.doc.reference_doctype && frm.doc.reference_name) {
			frm.add_custom_button(
				__("Open Document"),
				() => frappe.set_route("Form", frm.doc.reference_doctype, frm.doc.reference_name),
				__("View")
			);
		}
	},

	resend(frm) {
		frappe
			.call({
				method: "crm_sign.api.desk.resend",
				args: { request: frm.doc.name },
				freeze: true,
				freeze_message: __("Sending..."),
			})
			.then(() => {
				frappe.show_alert({ message: __("Signing links sent again"), indicator: "green" });
				frm.reload_doc();
			});
	},

	cancel(frm) {
		frappe.confirm(
			__("Cancel this signature request? Its signing links will stop working."),
			() =>
				frappe
					.call({
						method: "crm_sign.api.desk.cancel",
						args: { request: frm.doc.name },
						freeze: true,
					})
					.then(() => {
						frappe.show_alert({
							message: __("Signature request cancelled"),
							indicator: "orange",
						});
						frm.reload_doc();
					})
		);
	},

	sign_as_company(frm) {
		frappe
			.call({
				method: "crm_sign.api.desk.get_company_signing_link",
				args: { request: frm.doc.name },
				freeze: true,
			})
			.then((r) => {
				if (!r.message) return;
				// A blocked pop-up returns null: open the page in this tab instead.
				if (!window.open(r.message, "_blank")) {
					window.location.assign(r.message);
				}
			});
	},
});

frappe.ui.form.on("Sign Request", {
	refresh(frm) {
		if (frm.is_new()) return;
		if (frm.doc.status !== "Draft") {
			// Sent requests are evidence: the server refuses every save, so the form offers none.
			frm.disable_form();
			frm.disable_save();
		}
		crm_sign.sign_request.set_indicator(frm);
		crm_sign.sign_request.show_last_error(frm);
		crm_sign.sign_request.add_buttons(frm);
	},
});
