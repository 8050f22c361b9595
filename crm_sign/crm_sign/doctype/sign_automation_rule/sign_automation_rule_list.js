// Copyright (c) 2026, crm_sign contributors
// For license information, please see license.txt

frappe.listview_settings["Sign Automation Rule"] = {
	add_fields: ["rule_kind", "enabled"],
	get_indicator(doc) {
		if (!doc.enabled) {
			return [__("Disabled"), "grey", "enabled,=,0"];
		}
		if (doc.rule_kind === "Trigger") {
			return [__("Trigger"), "purple", "rule_kind,=,Trigger"];
		}
		return [__("Rule"), "blue", "rule_kind,=,Rule"];
	},
};
