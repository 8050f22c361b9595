// Copyright (c) 2026, crm_sign contributors
// For license information, please see license.txt

frappe.listview_settings["Sign Request"] = {
	add_fields: ["status"],
	get_indicator(doc) {
		const colors = {
			Draft: "grey",
			Sent: "blue",
			Viewed: "cyan",
			"Partially Signed": "orange",
			Completed: "green",
			Declined: "red",
			Expired: "darkgrey",
			Cancelled: "grey",
		};
		return [__(doc.status), colors[doc.status] || "grey", "status,=," + doc.status];
	},
};
