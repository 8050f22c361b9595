// Copyright (c) 2026, crm_sign contributors
// For license information, please see license.txt

// Sign Template designer: /app/sign-designer/<template>. The designer itself is the bundle
// sign_designer.bundle.js (crm_sign/public/js/sign_designer/), built by `bench build`.

frappe.pages["sign-designer"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({
		parent: wrapper,
		title: __("Sign Template Designer"),
		single_column: true,
	});
	frappe.require("sign_designer.bundle.js", () => {
		wrapper.sign_designer = new crm_sign.designer.Designer(wrapper, page);
		// Frappe's Ctrl+S calls the current page's save_action.
		wrapper.save_action = () => wrapper.sign_designer.save();
		// on_page_show ran before the bundle arrived
		if (frappe.get_route()[0] === "sign-designer") wrapper.sign_designer.show_route();
	});
};

frappe.pages["sign-designer"].on_page_show = function (wrapper) {
	if (wrapper.sign_designer) wrapper.sign_designer.show_route();
};
