// Sign Template designer: /app/sign-designer/<template>
// Renders the template's document with pdf.js, lets the user drop fields on its pages, move and
// resize them, edit their properties and accept the anchors found in the document. Saving writes
// the rows through crm_sign.api.designer.save_fields; the Sign Template controller validates them.
//
// The Designer's methods are grouped by what they do, one module each, and put together below.
import { anchors } from "./anchors.js";
import { field_boxes } from "./field_boxes.js";
import { field_picker } from "./field_picker.js";
import { layout } from "./layout.js";
import { model } from "./model.js";
import { pdf_pages } from "./pdf_pages.js";
import { pointer_and_keys } from "./pointer_and_keys.js";
import { props_panel } from "./props_panel.js";
import { API, esc } from "./util.js";

export class Designer {
	constructor(wrapper, page) {
		this.wrapper = wrapper;
		this.page = page;
		this.fields = [];
		this.pages = [];
		this.selected = null;
		this.zoom = 1;
		this.next_id = 1;
		this.dirty = false;
		this.make_layout();
		this.bind_pointer_events();
		this.bind_keys();
		this.setup_page_actions();
		this.resize_observer = new ResizeObserver(
			frappe.utils.debounce(() => this.on_resize(), 150)
		);
		this.resize_observer.observe(this.$pages_scroll.get(0));
	}

	setup_page_actions() {
		this.page.set_primary_action(__("Save"), () => this.save(), "check");
		this.page.add_inner_button(__("Open Template"), () => {
			if (this.template) frappe.set_route("Form", "Sign Template", this.template);
		});
		this.page.add_inner_button(__("Preview with a record"), () => this.preview());
		this.page.add_menu_item(__("Reload"), () => this.confirm_discard(() => this.load(true)));
	}

	show_route() {
		const route = frappe.get_route();
		const template = route.length > 1 ? route.slice(1).join("/") : "";
		if (!template) return this.show_chooser();
		if (template !== this.template) {
			this.confirm_discard(
				() => this.load_template(template),
				() => frappe.set_route("sign-designer", this.template)
			);
		}
	}

	confirm_discard(proceed, cancel) {
		if (!this.dirty) return proceed();
		frappe.confirm(
			__("The field changes on this template are not saved. Discard them?"),
			proceed,
			cancel
		);
	}

	show_chooser() {
		this.template = null;
		this.$root.hide();
		this.page.set_title(__("Sign Template Designer"));
		this.page.clear_indicator();
		this.$empty.show().empty().append(`
			<div class="csd-choose-card">
				<p>${esc(__("Choose the Sign Template whose fields you want to place."))}</p>
				<div class="csd-choose-control"></div>
			</div>`);
		const control = frappe.ui.form.make_control({
			parent: this.$empty.find(".csd-choose-control"),
			df: {
				fieldtype: "Link",
				options: "Sign Template",
				label: __("Sign Template"),
				fieldname: "template",
				onchange: () => {
					const value = control.get_value();
					if (value) frappe.set_route("sign-designer", value);
				},
			},
			render_input: true,
		});
		control.refresh();
	}

	async load_template(template) {
		this.template = template;
		this.$empty.hide();
		this.$root.show();
		this.page.set_title(__("Designer: {0}", [esc(template)]));
		await this.load(true);
	}

	async load(reload_pdf) {
		const template = this.template;
		let r;
		try {
			r = await frappe.call({
				method: API + "get_designer_data",
				args: { template },
				freeze: true,
				freeze_message: __("Loading the document..."),
			});
		} catch (e) {
			// frappe.call has shown the server's message already.
			r = null;
		}
		if (template !== this.template) return;
		if (!r || !r.message) {
			this.data = null;
			this.fields = [];
			this.pages = [];
			this.$pages.html(
				`<div class="csd-loading text-muted">${esc(
					__("The designer could not open {0}.", [template])
				)}</div>`
			);
			this.$field_list.empty();
			this.$suggestions.empty();
			this.$props.empty();
			return;
		}
		const data = r.message;
		const pdf_changed = !this.data || this.data.pdf_url !== data.pdf_url;
		this.data = data;
		this.fields = (data.fields || []).map((row) => this.from_row(row));
		this.selected = null;
		this.set_dirty(false);
		this.page.set_title(__("Designer: {0}", [esc(data.template.template_name)]));
		this.update_doc_info();
		this.page.btn_primary.toggle(!!data.can_write);
		this.$root.toggleClass("csd-readonly", !data.can_write);
		if (reload_pdf || pdf_changed || !this.pdf) {
			await this.load_pdf(data.pdf_url);
		}
		this.render_all();
	}

	update_doc_info() {
		const t = this.data.template;
		const info =
			t.source_type === "Uploaded PDF"
				? __("Uploaded PDF for {0}", [esc(__(t.reference_doctype))])
				: __("Print Format {0}, shown for {1} {2}", [
						esc(t.print_format),
						esc(__(t.reference_doctype)),
						esc(this.data.record || ""),
					]);
		this.$root.find(".csd-doc-info").html(info);
	}

	set_dirty(dirty) {
		this.dirty = dirty;
		if (dirty) this.page.set_indicator(__("Not Saved"), "orange");
		else this.page.clear_indicator();
	}

	changed(f) {
		this.set_dirty(true);
		if (f) this.render_field(f);
		if (f && f.id === this.selected) this.refresh_problems(f);
		this.render_list();
	}

	can_edit() {
		return !!(this.data && this.data.can_write);
	}

	async save() {
		if (!this.template || !this.can_edit()) return;
		const r = await frappe.call({
			method: API + "save_fields",
			type: "POST",
			args: {
				template: this.template,
				fields: JSON.stringify(this.fields.map((f) => this.to_row(f))),
				modified: this.data.template.modified,
			},
			freeze: true,
			freeze_message: __("Saving..."),
		});
		if (!r || r.message == null) return;
		frappe.show_alert({ message: __("Saved {0} fields", [r.message]), indicator: "green" });
		const selected_index = this.fields.findIndex((f) => f.id === this.selected);
		await this.load(false);
		if (selected_index >= 0 && this.fields[selected_index]) {
			this.select(this.fields[selected_index].id);
		}
	}

	preview() {
		if (!this.template) return;
		frappe
			.call({
				method: "crm_sign.api.desk.preview_template",
				args: { template: this.template },
			})
			.then((r) => {
				if (!r || !r.message) return;
				if (this.dirty) {
					frappe.show_alert({
						message: __(
							"The preview shows the saved fields; save to see your changes."
						),
						indicator: "orange",
					});
				}
				const url = new URL(r.message, window.location.origin);
				const path = url.pathname + url.search;
				if (crm_sign.desk && crm_sign.desk.open_pdf) crm_sign.desk.open_pdf(path);
				else window.open(path, "_blank");
			});
	}
}

Object.assign(
	Designer.prototype,
	layout, // make_layout: the three columns
	pdf_pages, // load_pdf, render_page, zoom: the document
	model, // from_row, to_row, add_field, remove_field: the fields being edited
	anchors, // suggestion_state, accept_suggestion: tags found in the document
	field_boxes, // render_field, render_list, select: the fields on the pages and in the list
	props_panel, // render_props, bind_props: the selected field's properties
	field_picker, // pick_field: a field of the record as a source
	pointer_and_keys // drag and drop, resize, keyboard
);
