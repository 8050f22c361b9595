// Copyright (c) 2026, crm_sign contributors
// For license information, please see license.txt

frappe.ui.form.on("Sign Automation Rule", {
	setup(frm) {
		frm.set_query("reference_doctype", () => ({
			filters: { istable: 0, issingle: 0 },
		}));
		frm.set_query("template", () => ({
			filters: { reference_doctype: frm.doc.reference_doctype, enabled: 1 },
		}));
		frm.set_query("only_templates", () => ({
			filters: { reference_doctype: frm.doc.reference_doctype },
		}));
		frm.set_query("notification", () => ({
			filters: { document_type: frm.doc.reference_doctype },
		}));
	},

	refresh(frm) {
		crm_sign_rule.load_options(frm);
		if (!frm.is_new()) {
			frm.add_custom_button(__("Runs"), () =>
				frappe.set_route("List", "Sign Automation Run", { rule: frm.doc.name })
			);
		}
	},

	reference_doctype(frm) {
		["stage_field", "stage_value", "template", "company_signer_field", "set_field"].forEach(
			(fieldname) => frm.set_value(fieldname, "")
		);
		frm.set_value("only_templates", []);
		crm_sign_rule.load_options(frm);
	},

	stage_type(frm) {
		frm.set_value("stage_value", "");
		crm_sign_rule.apply_options(frm);
	},

	stage_field(frm) {
		crm_sign_rule.load_stage_values(frm);
	},
});

const crm_sign_rule = {
	async load_options(frm) {
		frm._crm_sign_options = null;
		if (!frm.doc.reference_doctype) return;
		const r = await frappe.call({
			method: "crm_sign.automation.form.get_rule_options",
			args: { reference_doctype: frm.doc.reference_doctype },
		});
		frm._crm_sign_options = r.message;
		this.apply_options(frm);
	},

	apply_options(frm) {
		const options = frm._crm_sign_options;
		if (!options) return;
		const with_blank = (list) => [{ value: "", label: "" }].concat(list);
		frm.set_df_property("stage_field", "options", with_blank(options.stage_fields));
		frm.set_df_property("company_signer_field", "options", with_blank(options.user_fields));
		frm.set_df_property("set_field", "options", with_blank(options.set_fields));

		const workflow = options.workflow;
		if (frm.doc.stage_type === "Workflow State") {
			if (!workflow) {
				frm.set_intro(
					__("{0} has no active Workflow.", [__(frm.doc.reference_doctype)]),
					"orange"
				);
				return;
			}
			frm.set_intro("");
			if (frm.doc.stage_field !== workflow.state_field) {
				frm.set_value("stage_field", workflow.state_field);
			}
			this.set_stage_values(frm, workflow.states);
		} else {
			frm.set_intro("");
			this.load_stage_values(frm);
		}
		frm.refresh_field("stage_field");
	},

	async load_stage_values(frm) {
		if (frm.doc.stage_type === "Workflow State" || !frm.doc.stage_field) return;
		const r = await frappe.call({
			method: "crm_sign.automation.form.get_field_values",
			args: {
				reference_doctype: frm.doc.reference_doctype,
				fieldname: frm.doc.stage_field,
			},
		});
		this.set_stage_values(frm, r.message || []);
	},

	set_stage_values(frm, values) {
		const field = frm.get_field("stage_value");
		if (field && field.set_data) field.set_data(values);
	},
};
