// Copyright (c) 2026, crm_sign contributors
// For license information, please see license.txt

// Sign Template designer: /app/sign-designer/<template>
// Renders the template's document with pdf.js, lets the user drop fields on its pages, move and
// resize them, edit their properties and accept the anchors found in the document. Saving writes
// the rows through crm_sign.api.designer.save_fields; the Sign Template controller validates them.

frappe.provide("crm_sign.designer");

const PDFJS_PATH = "/assets/crm_sign/js/lib/pdfjs/4.10.38/"; // ES modules, see lib/pdfjs/README.md
const API = "crm_sign.api.designer.";

// Default box per type, relative to an A4 page (width, height); the checkbox is kept square on drop.
const TYPE_DEFAULTS = {
	Text: { w: 0.3, h: 0.025, filled_by: "Prefilled", abbr: "T" },
	"Long Text": { w: 0.5, h: 0.08, filled_by: "Prefilled", abbr: "¶" },
	Date: { w: 0.18, h: 0.025, filled_by: "Prefilled", abbr: "D" },
	Checkbox: { w: 0.025, h: 0.018, filled_by: "Counterparty", abbr: "☑" },
	Signature: { w: 0.25, h: 0.06, filled_by: "Counterparty", abbr: "✍" },
	Initials: { w: 0.1, h: 0.045, filled_by: "Counterparty", abbr: "In" },
	"Full Name": { w: 0.3, h: 0.025, filled_by: "Counterparty", abbr: "N" },
	Email: { w: 0.3, h: 0.025, filled_by: "Counterparty", abbr: "@" },
	Phone: { w: 0.2, h: 0.025, filled_by: "Counterparty", abbr: "☎" },
	Image: { w: 0.2, h: 0.1, filled_by: "Company", abbr: "▣" },
};
const ROLE_LABELS = {
	Prefilled: "Prefilled",
	Company: "Company signer",
	Counterparty: "Counterparty",
};
const LEGEND = {
	Prefilled: "Prefilled from the record before sending",
	Company: "Filled in by the company signer",
	Counterparty: "Filled in by the counterparty",
};
const SOURCE_KINDS = [
	{ value: "path", label: "Record field" },
	{ value: "const", label: "Constant" },
	{ value: "var", label: "Variable" },
	{ value: "expr", label: "Expression" },
];
const MIN_SIZE = 0.008;
const esc = (value) => frappe.utils.escape_html(value == null ? "" : String(value));
const clamp = (value, low, high) => Math.min(Math.max(value, low), high);
const round4 = (value) => Math.round(value * 10000) / 10000;

// "{{ sign : client }}" and "sign:client" are the same anchor (crm_sign.engine.anchors.anchor_key).
function anchor_key(anchor) {
	let text = (anchor || "").trim();
	if (text.startsWith("{{") && text.endsWith("}}")) text = text.slice(2, -2);
	return text.replace(/\s+/g, "").toLowerCase();
}

function source_kind(source) {
	const s = (source || "").trim();
	if (s.startsWith("const:")) return { kind: "const", value: s.slice(6) };
	if (s.startsWith("var:")) return { kind: "var", value: s.slice(4).trim() };
	if (s.startsWith("=")) return { kind: "expr", value: s.slice(1) };
	return { kind: "path", value: s };
}

function make_source(kind, value) {
	value = value || "";
	if (kind === "const") return "const:" + value;
	if (kind === "var") return value ? "var:" + value : "";
	if (kind === "expr") return value.trim() ? "=" + value.trim() : "";
	return value.trim();
}

frappe.pages["sign-designer"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({
		parent: wrapper,
		title: __("Sign Template Designer"),
		single_column: true,
	});
	wrapper.sign_designer = new crm_sign.designer.Designer(wrapper, page);
	// Frappe's Ctrl+S calls the current page's save_action.
	wrapper.save_action = () => wrapper.sign_designer.save();
};

frappe.pages["sign-designer"].on_page_show = function (wrapper) {
	if (wrapper.sign_designer) wrapper.sign_designer.show_route();
};

crm_sign.designer.Designer = class Designer {
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

	// ------------------------------------------------------------------------------ layout

	make_layout() {
		this.$root = $(`
			<div class="csd">
				<div class="csd-left">
					<div class="csd-panel-title">${esc(__("Drag onto the page"))}</div>
					<div class="csd-palette"></div>
					<div class="csd-suggestion-box">
						<div class="csd-panel-title csd-flex">
							<span>${esc(__("Anchors"))}</span>
							<button class="csd-link-btn csd-accept-all">
								${esc(__("Accept all"))}</button>
						</div>
						<div class="csd-suggestions"></div>
					</div>
					<div class="csd-panel-title">${esc(__("Fields"))}
						<span class="csd-count text-muted"></span></div>
					<div class="csd-field-list"></div>
				</div>
				<div class="csd-center">
					<div class="csd-toolbar">
						<div class="csd-doc-info text-muted"></div>
						<div class="csd-zoom">
							<button class="btn btn-xs btn-default" data-zoom="out"
								title="${esc(__("Zoom out"))}">&minus;</button>
							<span class="csd-zoom-value">100%</span>
							<button class="btn btn-xs btn-default" data-zoom="in"
								title="${esc(__("Zoom in"))}">+</button>
							<button class="btn btn-xs btn-default" data-zoom="fit">
								${esc(__("Fit width"))}</button>
						</div>
					</div>
					<div class="csd-pages-scroll"><div class="csd-pages"></div></div>
				</div>
				<div class="csd-right"><div class="csd-props"></div></div>
			</div>`);
		this.$empty = $('<div class="csd-choose"></div>');
		$(this.page.body).addClass("csd-page-body").append(this.$empty, this.$root);
		this.$palette = this.$root.find(".csd-palette");
		this.$suggestions = this.$root.find(".csd-suggestions");
		this.$field_list = this.$root.find(".csd-field-list");
		this.$pages_scroll = this.$root.find(".csd-pages-scroll");
		this.$pages = this.$root.find(".csd-pages");
		this.$props = this.$root.find(".csd-props");

		this.$palette.html(
			Object.keys(TYPE_DEFAULTS)
				.map(
					(type) => `
				<div class="csd-palette-item" data-type="${esc(type)}" tabindex="0"
					title="${esc(__("Drag onto a page, or press Enter to add"))}">
					<span class="csd-type-icon">${esc(TYPE_DEFAULTS[type].abbr)}</span>
					<span>${esc(__(type))}</span>
				</div>`
				)
				.join("")
		);
		this.$root.on("click", "[data-zoom]", (e) =>
			this.set_zoom($(e.currentTarget).data("zoom"))
		);
		this.$root.on("click", ".csd-accept-all", () => this.accept_all());
		this.$root.on("click", ".csd-suggestion-accept", (e) => {
			e.stopPropagation();
			this.accept_suggestion(Number($(e.currentTarget).attr("data-index")));
		});
		this.$field_list.on("click", ".csd-list-item", (e) => {
			this.select(Number($(e.currentTarget).attr("data-id")), true);
		});
		this.$palette.on("keydown", ".csd-palette-item", (e) => {
			if (e.key === "Enter" || e.key === " ") {
				e.preventDefault();
				this.add_to_visible_page($(e.currentTarget).attr("data-type"));
			}
		});
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

	// ------------------------------------------------------------------------------ loading

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

	async load_pdf(url) {
		const pdfjs = await import(PDFJS_PATH + "pdf.min.js");
		pdfjs.GlobalWorkerOptions.workerSrc = PDFJS_PATH + "pdf.worker.min.js";
		if (this.pdf) this.pdf.destroy();
		this.pdf = null;
		this.$pages.html(`<div class="csd-loading text-muted">${esc(__("Loading..."))}</div>`);
		try {
			// pdf.js 4.2.67+ fixes CVE-2024-4367; isEvalSupported: false keeps fonts from being compiled
			// to code all the same.
			this.pdf = await pdfjs.getDocument({
				url,
				isEvalSupported: false,
				withCredentials: true,
			}).promise;
		} catch (e) {
			this.$pages.html(
				`<div class="csd-loading text-danger">${esc(
					__("The document could not be loaded: {0}", [e.message || e])
				)}</div>`
			);
			return;
		}
		this.pages = [];
		for (let num = 1; num <= this.pdf.numPages; num++) {
			const pdf_page = await this.pdf.getPage(num);
			const viewport = pdf_page.getViewport({ scale: 1 });
			this.pages.push({
				num,
				pdf_page,
				width: viewport.width,
				height: viewport.height,
				rendered_width: 0,
			});
		}
		this.build_pages();
	}

	build_pages() {
		this.$pages.empty();
		for (const p of this.pages) {
			p.$el = $(`
				<div class="csd-page-wrap">
					<div class="csd-page-label text-muted">${esc(
						__("Page {0} of {1}", [p.num, this.pages.length])
					)}</div>
					<div class="csd-page" data-page="${p.num}">
						<canvas></canvas>
						<div class="csd-layer"></div>
					</div>
				</div>`);
			p.$page = p.$el.find(".csd-page");
			p.$layer = p.$el.find(".csd-layer");
			p.canvas = p.$el.find("canvas").get(0);
			this.$pages.append(p.$el);
		}
		this.layout_pages();
		if (this.observer) this.observer.disconnect();
		this.observer = new IntersectionObserver(
			(entries) => {
				for (const entry of entries) {
					if (!entry.isIntersecting) continue;
					const p = this.pages[Number(entry.target.dataset.page) - 1];
					if (p) this.render_page(p);
				}
			},
			{ root: this.$pages_scroll.get(0), rootMargin: "300px" }
		);
		this.pages.forEach((p) => this.observer.observe(p.$page.get(0)));
	}

	fit_width() {
		const available = this.$pages_scroll.get(0).clientWidth - 40;
		const widest = Math.max(...this.pages.map((p) => p.width), 1);
		return Math.max(available, 200) / widest;
	}

	layout_pages() {
		const scale = this.fit_width() * this.zoom;
		for (const p of this.pages) {
			p.css_width = Math.floor(p.width * scale);
			p.css_height = Math.floor(p.height * scale);
			p.$page.css({ width: p.css_width, height: p.css_height });
		}
		this.$root.find(".csd-zoom-value").text(Math.round(this.zoom * 100) + "%");
	}

	async render_page(p) {
		if (p.rendered_width === p.css_width || p.rendering) return;
		p.rendering = true;
		try {
			const ratio = Math.min(window.devicePixelRatio || 1, 2);
			const target = p.css_width;
			const viewport = p.pdf_page.getViewport({ scale: (target / p.width) * ratio });
			const canvas = document.createElement("canvas");
			canvas.width = Math.floor(viewport.width);
			canvas.height = Math.floor(viewport.height);
			await p.pdf_page.render({ canvasContext: canvas.getContext("2d"), viewport }).promise;
			// Swap in the finished canvas so zooming never shows a blank page.
			$(canvas).css({ width: "100%", height: "100%" });
			$(p.canvas).replaceWith(canvas);
			p.canvas = canvas;
			p.rendered_width = target;
		} catch (e) {
			p.rendered_width = 0;
		} finally {
			p.rendering = false;
		}
		if (p.rendered_width !== p.css_width && this.is_visible(p)) this.render_page(p);
	}

	is_visible(p) {
		const box = p.$page.get(0).getBoundingClientRect();
		const view = this.$pages_scroll.get(0).getBoundingClientRect();
		return box.bottom > view.top - 300 && box.top < view.bottom + 300;
	}

	set_zoom(how) {
		if (!this.pages.length) return;
		const steps = [0.5, 0.67, 0.75, 0.9, 1, 1.1, 1.25, 1.5, 2];
		if (how === "fit") this.zoom = 1;
		else if (how === "in") this.zoom = steps.find((s) => s > this.zoom + 0.001) || 2;
		else this.zoom = [...steps].reverse().find((s) => s < this.zoom - 0.001) || 0.5;
		this.on_resize();
	}

	on_resize() {
		if (!this.pages.length) return;
		this.layout_pages();
		this.pages.filter((p) => this.is_visible(p)).forEach((p) => this.render_page(p));
	}

	// ------------------------------------------------------------------------------ model

	from_row(row) {
		return {
			id: this.next_id++,
			field_label: row.field_label || "",
			field_type: row.field_type || "Text",
			filled_by: row.filled_by || "Prefilled",
			signer_label: row.signer_label || "",
			source: row.source || "",
			value_format: row.value_format || "",
			required: row.required ? 1 : 0,
			page: Number(row.page) || 1,
			pos_x: Number(row.pos_x) || 0,
			pos_y: Number(row.pos_y) || 0,
			width: Number(row.width) || 0,
			height: Number(row.height) || 0,
			anchor: row.anchor || "",
			font_size: Number(row.font_size) || 10,
			placement: row.placement || null,
			anchor_missing: !!row.anchor_missing,
		};
	}

	to_row(f) {
		const row = {
			field_label: f.field_label,
			field_type: f.field_type,
			filled_by: f.filled_by,
			signer_label: f.filled_by === "Prefilled" ? "" : f.signer_label || "",
			source: f.filled_by === "Prefilled" ? f.source : "",
			value_format: f.value_format,
			required: f.required ? 1 : 0,
			page: f.page,
			anchor: "",
			font_size: f.font_size,
			pos_x: round4(f.pos_x),
			pos_y: round4(f.pos_y),
			width: round4(f.width),
			height: round4(f.height),
		};
		if (this.is_anchored(f)) {
			Object.assign(row, { anchor: f.anchor, pos_x: 0, pos_y: 0, width: 0, height: 0 });
		}
		return row;
	}

	is_anchored(f) {
		return !!f.anchor && !(f.width > 0 && f.height > 0);
	}

	// The box a field is drawn in: its own, or where its anchor lands in this document.
	box_of(f) {
		if (!this.is_anchored(f)) {
			return { page: f.page, x: f.pos_x, y: f.pos_y, w: f.width, h: f.height };
		}
		const p = f.placement;
		if (!p) return null;
		return { page: p.page, x: p.pos_x, y: p.pos_y, w: p.width, h: p.height };
	}

	field(id) {
		return this.fields.find((f) => f.id === id) || null;
	}

	problems(f) {
		const out = [];
		if (!(f.field_label || "").trim()) out.push(__("Give it a label"));
		if (f.filled_by === "Prefilled" && !(f.source || "").trim()) {
			out.push(__("Prefilled fields need a source"));
		}
		if (this.is_anchored(f) && f.anchor_missing) {
			out.push(__("The anchor {0} is not in this document", [f.anchor]));
		}
		return out;
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

	new_label(type) {
		const labels = new Set(this.fields.map((f) => f.field_label));
		let n = this.fields.filter((f) => f.field_type === type).length + 1;
		while (labels.has(`${__(type)} ${n}`)) n++;
		return `${__(type)} ${n}`;
	}

	add_field(type, page_num, center_x, center_y) {
		const p = this.pages[page_num - 1];
		const d = TYPE_DEFAULTS[type] || TYPE_DEFAULTS.Text;
		let w = d.w * (595 / p.width);
		let h = d.h * (842 / p.height);
		if (type === "Checkbox") {
			const side = 14; // points
			w = side / p.width;
			h = side / p.height;
		}
		w = Math.min(w, 1);
		h = Math.min(h, 1);
		const f = this.from_row({
			field_label: this.new_label(type),
			field_type: type,
			filled_by: d.filled_by,
			required: 1,
			page: page_num,
			pos_x: clamp(center_x - w / 2, 0, 1 - w),
			pos_y: clamp(center_y - h / 2, 0, 1 - h),
			width: w,
			height: h,
			font_size: 10,
		});
		this.fields.push(f);
		this.set_dirty(true);
		this.render_field(f);
		this.select(f.id);
		this.render_list();
		return f;
	}

	add_to_visible_page(type) {
		if (!this.can_edit() || !this.pages.length) return;
		const view = this.$pages_scroll.get(0).getBoundingClientRect();
		const p =
			this.pages.find((pg) => {
				const r = pg.$page.get(0).getBoundingClientRect();
				return r.bottom > view.top + 40;
			}) || this.pages[0];
		const r = p.$page.get(0).getBoundingClientRect();
		const y = clamp((view.top + view.height / 2 - r.top) / r.height, 0.05, 0.95);
		this.add_field(type, p.num, 0.5, y);
	}

	remove_field(id) {
		const f = this.field(id);
		if (!f) return;
		this.fields = this.fields.filter((x) => x.id !== id);
		this.$root.find(`.csd-field[data-id="${id}"]`).remove();
		if (this.selected === id) this.select(null);
		this.set_dirty(true);
		this.render_list();
		this.render_suggestions();
	}

	detach_anchor(f) {
		const box = this.box_of(f);
		if (!box) return;
		Object.assign(f, {
			anchor: "",
			page: box.page,
			pos_x: box.x,
			pos_y: box.y,
			width: box.w,
			height: box.h,
		});
		this.changed(f);
		this.render_props();
		this.render_suggestions();
	}

	can_edit() {
		return !!(this.data && this.data.can_write);
	}

	// ------------------------------------------------------------------------------ suggestions

	// Which suggestions already have a field: the k-th field with an anchor takes its k-th tag.
	suggestion_state() {
		const used = {};
		for (const f of this.fields) {
			if (!this.is_anchored(f)) continue;
			const key = anchor_key(f.anchor);
			used[key] = (used[key] || 0) + 1;
		}
		const seen = {};
		return (this.data.suggestions || []).map((s) => {
			seen[s.key] = (seen[s.key] || 0) + 1;
			return seen[s.key] <= (used[s.key] || 0);
		});
	}

	accept_suggestion(index) {
		const s = (this.data.suggestions || [])[index];
		if (!s || !this.can_edit()) return;
		const f = this.from_row({
			field_label: s.field_label,
			field_type: s.field_type,
			filled_by: s.filled_by,
			required: 1,
			page: s.page,
			anchor: s.tag,
			font_size: 10,
			placement: {
				page: s.page,
				pos_x: s.pos_x,
				pos_y: s.pos_y,
				width: s.width,
				height: s.height,
			},
		});
		this.fields.push(f);
		this.set_dirty(true);
		this.render_field(f);
		this.render_list();
		this.render_suggestions();
		this.select(f.id);
	}

	accept_all() {
		const state = this.suggestion_state();
		(this.data.suggestions || []).forEach((s, i) => {
			if (!state[i]) this.accept_suggestion(i);
		});
	}

	render_suggestions() {
		const suggestions = this.data.suggestions || [];
		const state = this.suggestion_state();
		const open = suggestions.map((s, i) => ({ s, i })).filter(({ i }) => !state[i]);
		this.$root.find(".csd-suggestion-box").toggle(suggestions.length > 0);
		this.$root.find(".csd-accept-all").toggle(open.length > 0 && this.can_edit());
		this.$suggestions.html(
			open.length
				? open
						.map(
							({ s, i }) => `
					<div class="csd-suggestion-item">
						<span class="csd-role-dot role-${esc(s.filled_by.toLowerCase())}"></span>
						<span class="csd-ellipsis" title="${esc(s.tag)}">
							<code>${esc(s.tag)}</code> ${esc(__("p. {0}", [s.page]))}</span>
						<button class="btn btn-xs btn-default csd-suggestion-accept"
							data-index="${i}">${esc(__("Accept"))}</button>
					</div>`
						)
						.join("")
				: `<div class="text-muted small">${esc(__("All anchors have a field."))}</div>`
		);
		// Ghost boxes on the pages for the open suggestions.
		this.$pages.find(".csd-suggestion").remove();
		for (const { s, i } of open) {
			const p = this.pages[s.page - 1];
			if (!p) continue;
			$(`<div class="csd-suggestion" title="${esc(__("Anchor {0}", [s.tag]))}">
					<button class="btn btn-xs btn-primary csd-suggestion-accept" data-index="${i}">
						+ ${esc(__(s.field_type))}</button>
				</div>`)
				.css(this.box_css({ x: s.pos_x, y: s.pos_y, w: s.width, h: s.height }))
				.appendTo(p.$layer);
		}
	}

	// ------------------------------------------------------------------------------ rendering

	render_all() {
		this.$pages.find(".csd-field").remove();
		this.fields.forEach((f) => this.render_field(f));
		this.render_suggestions();
		this.render_list();
		this.render_props();
	}

	box_css(box) {
		return {
			left: box.x * 100 + "%",
			top: box.y * 100 + "%",
			width: box.w * 100 + "%",
			height: box.h * 100 + "%",
		};
	}

	render_field(f) {
		let $el = this.$pages.find(`.csd-field[data-id="${f.id}"]`);
		const box = this.box_of(f);
		const p = box && this.pages[box.page - 1];
		if (!p) {
			$el.remove();
			return;
		}
		if (!$el.length) {
			$el = $(`<div class="csd-field" data-id="${f.id}">
				<div class="csd-field-label"></div>
				<div class="csd-handle"></div>
			</div>`);
		}
		if ($el.parent().get(0) !== p.$layer.get(0)) $el.appendTo(p.$layer);
		const anchored = this.is_anchored(f);
		$el.attr("class", "csd-field")
			.addClass("role-" + f.filled_by.toLowerCase())
			.toggleClass("is-anchored", anchored)
			.toggleClass("is-selected", this.selected === f.id)
			.toggleClass("has-problem", this.problems(f).length > 0)
			.css(this.box_css(box))
			.attr(
				"title",
				anchored ? __("Placed by the anchor {0}", [f.anchor]) : f.field_label || ""
			);
		const detail = f.filled_by === "Prefilled" ? f.source || __("no source") : __(f.filled_by);
		$el.find(".csd-field-label").html(
			`<span class="csd-type-icon">${esc(
				(TYPE_DEFAULTS[f.field_type] || TYPE_DEFAULTS.Text).abbr
			)}</span> <b>${esc(f.field_label)}</b> <span class="csd-field-detail">${esc(
				detail
			)}</span>`
		);
	}

	render_list() {
		this.$root.find(".csd-count").text(`(${this.fields.length})`);
		if (!this.fields.length) {
			this.$field_list.html(
				`<div class="text-muted small">${esc(
					__("No fields yet. Drag a type onto the page.")
				)}</div>`
			);
			return;
		}
		this.$field_list.html(
			this.fields
				.map((f) => {
					const box = this.box_of(f);
					const where = this.is_anchored(f)
						? esc(f.anchor)
						: esc(__("p. {0}", [box ? box.page : f.page]));
					const warn = this.problems(f).length
						? `<span class="csd-warn" title="${esc(this.problems(f).join("; "))}">!</span>`
						: "";
					return `<div class="csd-list-item ${
						this.selected === f.id ? "is-selected" : ""
					}" data-id="${f.id}">
						<span class="csd-role-dot role-${esc(f.filled_by.toLowerCase())}"></span>
						<span class="csd-ellipsis">${esc(f.field_label)}</span>
						<span class="csd-list-where text-muted">${where}</span>${warn}
					</div>`;
				})
				.join("")
		);
	}

	select(id, scroll) {
		this.selected = id;
		this.$pages.find(".csd-field").each((_, el) => {
			$(el).toggleClass("is-selected", Number(el.dataset.id) === id);
		});
		this.$field_list.find(".csd-list-item").each((_, el) => {
			$(el).toggleClass("is-selected", Number(el.dataset.id) === id);
		});
		this.render_props();
		if (scroll && id) {
			const el = this.$pages.find(`.csd-field[data-id="${id}"]`).get(0);
			if (el) el.scrollIntoView({ block: "center", behavior: "smooth" });
		}
	}

	// ------------------------------------------------------------------------------ side panel

	render_props() {
		const f = this.field(this.selected);
		if (!f) {
			this.$props.html(`
				<div class="csd-props-empty text-muted">
					<p>${esc(__("Select a field to edit it."))}</p>
					<p>${esc(__("Drag a type from the left onto a page; drag a box to move it and its corner to resize it."))}</p>
					<p>${esc(__("Keys: Delete removes the selected field, arrows move it (Shift: faster)."))}</p>
					<div class="csd-legend">
						${Object.keys(ROLE_LABELS)
							.map(
								(r) =>
									`<div><span class="csd-role-dot role-${r.toLowerCase()}"></span> ${esc(
										__(LEGEND[r])
									)}</div>`
							)
							.join("")}
					</div>
				</div>`);
			return;
		}
		const ro = this.can_edit() ? "" : "disabled";
		// An empty constant or expression still remembers which kind the user picked.
		const src = f.source
			? source_kind(f.source)
			: { kind: f._source_kind || "path", value: "" };
		const anchored = this.is_anchored(f);
		const box = this.box_of(f);
		const options = (values, current, labels) =>
			values
				.map(
					(v) =>
						`<option value="${esc(v)}" ${v === current ? "selected" : ""}>${esc(
							__(labels ? labels[v] : v)
						)}</option>`
				)
				.join("");
		const variables = this.data.variables || [];
		const problems = this.problems(f);
		this.$props.html(`
			<div class="csd-props-head">
				<span class="csd-role-dot role-${esc(f.filled_by.toLowerCase())}"></span>
				<b class="csd-ellipsis">${esc(f.field_label || __("Field"))}</b>
				<button class="btn btn-xs btn-default csd-delete" ${ro}
					title="${esc(__("Delete"))}">${frappe.utils.icon("delete", "xs")}</button>
			</div>
			${
				problems.length
					? `<div class="csd-problems">${problems
							.map((p) => `<div>${esc(p)}</div>`)
							.join("")}</div>`
					: ""
			}
			<div class="form-group">
				<label class="control-label">${esc(__("Label"))}</label>
				<input class="form-control input-xs" data-prop="field_label" ${ro}
					value="${esc(f.field_label)}">
			</div>
			<div class="csd-row">
				<div class="form-group">
					<label class="control-label">${esc(__("Type"))}</label>
					<select class="form-control input-xs" data-prop="field_type" ${ro}>
						${options(this.data.field_types, f.field_type)}</select>
				</div>
				<div class="form-group">
					<label class="control-label">${esc(__("Filled by"))}</label>
					<select class="form-control input-xs" data-prop="filled_by" ${ro}>
						${options(this.data.filled_by, f.filled_by, ROLE_LABELS)}</select>
				</div>
			</div>
			${this.signer_html(f, ro)}
			<div class="csd-source ${f.filled_by === "Prefilled" ? "" : "hide"}">
				<label class="control-label">${esc(__("Value from"))}</label>
				<div class="csd-segments">
					${SOURCE_KINDS.map(
						(k) =>
							`<button class="btn btn-xs ${
								src.kind === k.value ? "btn-primary" : "btn-default"
							}" data-source-kind="${k.value}" ${ro}>${esc(__(k.label))}</button>`
					).join("")}
				</div>
				<div class="csd-source-input">${this.source_input_html(src, variables, ro)}</div>
			</div>
			<div class="csd-row">
				<div class="form-group">
					<label class="control-label">${esc(__("Font size"))}</label>
					<input type="number" min="4" max="72" step="0.5"
						class="form-control input-xs" data-prop="font_size" ${ro}
						value="${esc(f.font_size)}">
				</div>
				<div class="form-group">
					<label class="control-label">${esc(__("Format"))}</label>
					<input class="form-control input-xs" data-prop="value_format" ${ro}
						placeholder="${esc(this.format_hint(f))}" value="${esc(f.value_format)}">
				</div>
			</div>
			<div class="checkbox">
				<label><input type="checkbox" data-prop="required" ${ro}
					${f.required ? "checked" : ""}> ${esc(__("Required"))}</label>
			</div>
			<div class="csd-position">
				<label class="control-label">${esc(__("Position"))}</label>
				${
					anchored
						? `<div class="small">${esc(__("Placed by the anchor"))}
							<code>${esc(f.anchor)}</code>${box ? " " + esc(__("on page {0}", [box.page])) : ""}</div>
						<div class="small text-muted">${esc(
							__(
								"It follows the text in the document. Detach it to place it by hand."
							)
						)}</div>
						<button class="btn btn-xs btn-default csd-detach" ${
							ro || (box ? "" : "disabled")
						}>${esc(__("Detach from anchor"))}</button>`
						: `<div class="csd-coords">
							${this.coord_input("page", __("Page"), f.page, 1, ro)}
							${this.coord_input("pos_x", "X", f.pos_x, 0.001, ro)}
							${this.coord_input("pos_y", "Y", f.pos_y, 0.001, ro)}
							${this.coord_input("width", __("W"), f.width, 0.001, ro)}
							${this.coord_input("height", __("H"), f.height, 0.001, ro)}
						</div>`
				}
			</div>`);
		this.bind_props(f);
	}

	coord_input(prop, label, value, step, ro) {
		const shown = step === 1 ? value : round4(value);
		return `<label class="csd-coord"><span>${esc(label)}</span>
			<input type="number" step="${step}" min="${step === 1 ? 1 : 0}"
				max="${step === 1 ? this.pages.length : 1}" class="form-control input-xs"
				data-coord="${prop}" value="${esc(shown)}" ${ro}></label>`;
	}

	source_input_html(src, variables, ro) {
		if (src.kind === "var") {
			if (!variables.length) {
				return `<div class="small text-muted">${esc(
					__("No variables yet. Add them in Sign Settings, Constants.")
				)}</div>`;
			}
			return `<select class="form-control input-xs" data-source-value ${ro}>
				<option value=""></option>
				${variables
					.map(
						(v) =>
							`<option value="${esc(v)}" ${v === src.value ? "selected" : ""}>${esc(
								v
							)}</option>`
					)
					.join("")}</select>`;
		}
		const placeholder = {
			path: "customer_name, customer.email_id, items[0].item_name",
			const: __("Fixed text"),
			expr: "upper(lead_name)",
		}[src.kind];
		const picker =
			src.kind === "path"
				? `<button class="btn btn-xs btn-default csd-pick" ${ro}>${esc(
						__("Pick")
					)}</button>`
				: "";
		const label =
			src.kind === "path" && src.value
				? `<div class="small text-muted csd-path-label">${esc(
						this.path_label(src.value) ||
							__("Not a field of {0}", [__(this.data.template.reference_doctype)])
					)}</div>`
				: "";
		const functions =
			src.kind === "expr"
				? `<div class="small text-muted">${esc(__("Functions"))}: ${esc(
						(this.data.functions || []).join(", ")
					)}</div>`
				: "";
		return `<div class="csd-flex"><input class="form-control input-xs" data-source-value
				placeholder="${esc(placeholder)}" value="${esc(src.value)}" ${ro}>${picker}</div>
			${label}${functions}`;
	}

	format_hint(f) {
		if (f.field_type === "Date") return "date:dd.mm.yyyy";
		if (f.field_type === "Text") return "money:EUR, number:2";
		return "";
	}

	path_label(path) {
		const clean = path.replace(/\[\d+\]/g, "[0]");
		for (const node of this.data.field_tree || []) {
			if (node.path === clean) return node.label;
			for (const child of node.children || []) {
				if (child.path === clean) return `${node.label} › ${child.label}`;
			}
		}
		return "";
	}

	// With several signers on a side (Client, Client 2, ...), which of them fills the field.
	signer_html(f, ro) {
		const labels = (this.data.roles || {})[f.filled_by] || [];
		if (f.filled_by === "Prefilled" || labels.length < 2) return "";
		const choices = [{ value: "", label: __("{0} (the first)", [labels[0]]) }].concat(
			labels.slice(1).map((label) => ({ value: label, label }))
		);
		return `<div class="form-group">
			<label class="control-label">${esc(__("Signer"))}</label>
			<select class="form-control input-xs" data-prop="signer_label" ${ro}>
				${choices
					.map(
						(c) =>
							`<option value="${esc(c.value)}" ${
								(f.signer_label || "") === c.value ? "selected" : ""
							}>${esc(c.label)}</option>`
					)
					.join("")}
			</select>
		</div>`;
	}

	bind_props(f) {
		const $p = this.$props;
		$p.find("[data-prop]").on("input change", (e) => {
			const el = e.currentTarget;
			const prop = el.dataset.prop;
			if (prop === "required") f.required = el.checked ? 1 : 0;
			else if (prop === "font_size") f.font_size = Number(el.value) || 10;
			else f[prop] = el.value;
			if (prop === "filled_by") f.signer_label = ""; // the roles of the other side differ
			this.changed(f);
			if (e.type === "change" && (prop === "filled_by" || prop === "field_type")) {
				this.render_props();
			}
			if (prop === "field_label") $p.find(".csd-props-head b").text(f.field_label);
		});
		$p.find("[data-source-kind]").on("click", (e) => {
			const kind = e.currentTarget.dataset.sourceKind;
			const current = source_kind(f.source);
			const value = kind === current.kind ? current.value : "";
			f.source = kind === "const" && !value ? "" : make_source(kind, value);
			f._source_kind = kind;
			this.changed(f);
			this.render_props();
		});
		const kind_now = () => (f.source ? source_kind(f.source).kind : f._source_kind || "path");
		$p.find("[data-source-value]").on("input change", (e) => {
			f._source_kind = kind_now();
			const kind = f._source_kind;
			f.source =
				kind === "const" && !e.currentTarget.value
					? ""
					: make_source(kind, e.currentTarget.value);
			this.changed(f);
			if (kind === "path") {
				$p.find(".csd-path-label").text(this.path_label(f.source) || "");
			}
		});
		$p.find(".csd-pick").on("click", () =>
			this.pick_field((path) => {
				f.source = path;
				f._source_kind = "path";
				this.changed(f);
				this.render_props();
			})
		);
		$p.find("[data-coord]").on("change", (e) => {
			const prop = e.currentTarget.dataset.coord;
			const value = Number(e.currentTarget.value);
			if (Number.isNaN(value)) return;
			if (prop === "page") f.page = clamp(Math.round(value), 1, this.pages.length || 1);
			else if (prop === "width") f.width = clamp(value, MIN_SIZE, 1 - f.pos_x);
			else if (prop === "height") f.height = clamp(value, MIN_SIZE, 1 - f.pos_y);
			else if (prop === "pos_x") f.pos_x = clamp(value, 0, 1 - f.width);
			else if (prop === "pos_y") f.pos_y = clamp(value, 0, 1 - f.height);
			this.changed(f);
			this.render_props();
		});
		$p.find(".csd-delete").on("click", () => this.remove_field(f.id));
		$p.find(".csd-detach").on("click", () => this.detach_anchor(f));
	}

	refresh_problems(f) {
		const problems = this.problems(f);
		let $box = this.$props.find(".csd-problems");
		if (!problems.length) return $box.remove();
		if (!$box.length) {
			$box = $('<div class="csd-problems"></div>').insertAfter(
				this.$props.find(".csd-props-head")
			);
		}
		$box.html(problems.map((p) => `<div>${esc(p)}</div>`).join(""));
	}

	update_coords(f) {
		const set = (prop, value) =>
			this.$props
				.find(`[data-coord="${prop}"]`)
				.val(prop === "page" ? value : round4(value));
		["page", "pos_x", "pos_y", "width", "height"].forEach((prop) => set(prop, f[prop]));
	}

	// ------------------------------------------------------------------------------ field picker

	pick_field(on_pick) {
		const tree = this.data.field_tree || [];
		const dialog = new frappe.ui.Dialog({
			title: __("Fields of {0}", [esc(__(this.data.template.reference_doctype))]),
			fields: [
				{ fieldtype: "Data", fieldname: "search", placeholder: __("Search fields") },
				{ fieldtype: "HTML", fieldname: "tree" },
			],
		});
		const $tree = dialog.fields_dict.tree.$wrapper.addClass("csd-tree");
		const row = (node, depth) => `
			<div class="csd-tree-row" data-path="${esc(node.path)}" style="padding-left:${8 + depth * 18}px">
				${
					node.children && node.children.length
						? `<span class="csd-caret" data-toggle="${esc(node.path)}">▸</span>`
						: '<span class="csd-caret"></span>'
				}
				<span class="csd-tree-label">${esc(node.label)}</span>
				<code class="text-muted">${esc(node.path)}</code>
				${node.options ? `<span class="text-muted small">${esc(__(node.options))}</span>` : ""}
			</div>`;
		const expanded = new Set();
		const render = () => {
			const term = (dialog.get_value("search") || "").trim().toLowerCase();
			const match = (n) =>
				!term ||
				n.label.toLowerCase().includes(term) ||
				n.path.toLowerCase().includes(term);
			const html = [];
			for (const node of tree) {
				const children = (node.children || []).filter(match);
				const show_children = term ? children.length > 0 : expanded.has(node.path);
				if (!match(node) && !(term && children.length)) continue;
				html.push(row(node, 0));
				if (show_children) {
					(term ? children : node.children).forEach((c) => html.push(row(c, 1)));
				}
			}
			$tree.html(
				html.join("") ||
					`<div class="text-muted small">${esc(__("No field matches."))}</div>`
			);
		};
		$tree.on("click", ".csd-caret[data-toggle]", (e) => {
			e.stopPropagation();
			const path = e.currentTarget.dataset.toggle;
			if (expanded.has(path)) expanded.delete(path);
			else expanded.add(path);
			render();
		});
		$tree.on("click", ".csd-tree-row", (e) => {
			dialog.hide();
			on_pick(e.currentTarget.dataset.path);
		});
		dialog.fields_dict.search.$input.on("input", frappe.utils.debounce(render, 120));
		render();
		dialog.show();
	}

	// ------------------------------------------------------------------------------ pointer events

	bind_pointer_events() {
		// Palette: drag a new field onto a page (click or Enter adds it to the visible page).
		this.$palette.on("pointerdown", ".csd-palette-item", (e) => {
			if (e.button !== 0 || !this.can_edit() || !this.pages.length) return;
			e.preventDefault();
			const type = e.currentTarget.dataset.type;
			const start = { x: e.clientX, y: e.clientY };
			const ghost = $(
				`<div class="csd-ghost"><span class="csd-type-icon">${esc(
					TYPE_DEFAULTS[type].abbr
				)}</span> ${esc(__(type))}</div>`
			).appendTo(document.body);
			const move = (ev) => {
				ghost.css({ left: ev.clientX + 8, top: ev.clientY + 8 });
				const p = this.page_at(ev.clientX, ev.clientY);
				this.$pages.find(".csd-page").removeClass("is-drop-target");
				if (p) p.$page.addClass("is-drop-target");
			};
			const up = (ev) => {
				document.removeEventListener("pointermove", move);
				document.removeEventListener("pointerup", up);
				document.removeEventListener("pointercancel", up);
				ghost.remove();
				this.$pages.find(".csd-page").removeClass("is-drop-target");
				if (ev.type === "pointercancel") return;
				const moved = Math.hypot(ev.clientX - start.x, ev.clientY - start.y) > 4;
				if (!moved) return this.add_to_visible_page(type);
				const p = this.page_at(ev.clientX, ev.clientY);
				if (!p) return;
				const r = p.$page.get(0).getBoundingClientRect();
				this.add_field(
					type,
					p.num,
					(ev.clientX - r.left) / r.width,
					(ev.clientY - r.top) / r.height
				);
			};
			move(e);
			document.addEventListener("pointermove", move);
			document.addEventListener("pointerup", up);
			document.addEventListener("pointercancel", up);
		});

		// Fields: select, move (also onto another page) and resize.
		this.$pages.on("pointerdown", ".csd-field", (e) => {
			if (e.button !== 0) return;
			const el = e.currentTarget;
			const f = this.field(Number(el.dataset.id));
			if (!f) return;
			e.preventDefault();
			e.stopPropagation();
			if (this.selected !== f.id) this.select(f.id);
			if (!this.can_edit() || this.is_anchored(f)) return;
			const resizing = $(e.target).hasClass("csd-handle");
			const rect = el.getBoundingClientRect();
			const grab = { x: e.clientX - rect.left, y: e.clientY - rect.top };
			const start = { x: e.clientX, y: e.clientY, w: f.width, h: f.height };
			let active = false;
			// Listen on the document: moving the box to another page re-parents it, which would drop
			// a pointer capture.
			const move = (ev) => {
				if (!active && Math.hypot(ev.clientX - start.x, ev.clientY - start.y) < 3) return;
				active = true;
				$(el).addClass("is-dragging");
				if (resizing) {
					const r = this.pages[f.page - 1].$page.get(0).getBoundingClientRect();
					f.width = clamp(
						start.w + (ev.clientX - start.x) / r.width,
						MIN_SIZE,
						1 - f.pos_x
					);
					f.height = clamp(
						start.h + (ev.clientY - start.y) / r.height,
						MIN_SIZE,
						1 - f.pos_y
					);
				} else {
					const p = this.page_at(ev.clientX, ev.clientY) || this.pages[f.page - 1];
					const r = p.$page.get(0).getBoundingClientRect();
					f.page = p.num;
					f.pos_x = clamp((ev.clientX - grab.x - r.left) / r.width, 0, 1 - f.width);
					f.pos_y = clamp((ev.clientY - grab.y - r.top) / r.height, 0, 1 - f.height);
				}
				this.render_field(f);
				this.update_coords(f);
			};
			const up = () => {
				document.removeEventListener("pointermove", move);
				document.removeEventListener("pointerup", up);
				document.removeEventListener("pointercancel", up);
				$(el).removeClass("is-dragging");
				if (active) this.changed(f);
			};
			document.addEventListener("pointermove", move);
			document.addEventListener("pointerup", up);
			document.addEventListener("pointercancel", up);
		});

		this.$pages.on("pointerdown", ".csd-page", (e) => {
			if (!$(e.target).closest(".csd-field, .csd-suggestion").length) this.select(null);
		});
	}

	page_at(x, y) {
		for (const el of document.elementsFromPoint(x, y)) {
			if (el.classList && el.classList.contains("csd-page")) {
				return this.pages[Number(el.dataset.page) - 1] || null;
			}
		}
		return null;
	}

	bind_keys() {
		$(document).on("keydown.sign_designer", (e) => {
			if (frappe.get_route_str().split("/")[0] !== "sign-designer" || !this.template) return;
			if (e.key === "s" && (e.ctrlKey || e.metaKey)) {
				// Frappe's own Ctrl+S triggers the primary action (Save) already.
				return;
			}
			if ($(e.target).is("input, textarea, select, [contenteditable]")) return;
			if ($(".modal.show").length) return;
			const f = this.field(this.selected);
			if (!f) return;
			if (e.key === "Escape") return this.select(null);
			if (!this.can_edit()) return;
			if (e.key === "Delete" || e.key === "Backspace") {
				e.preventDefault();
				return this.remove_field(f.id);
			}
			const arrows = {
				ArrowLeft: [-1, 0],
				ArrowRight: [1, 0],
				ArrowUp: [0, -1],
				ArrowDown: [0, 1],
			};
			if (!arrows[e.key] || this.is_anchored(f)) return;
			e.preventDefault();
			const p = this.pages[f.page - 1];
			const step = e.shiftKey ? 10 : 1;
			f.pos_x = clamp(f.pos_x + (arrows[e.key][0] * step) / p.css_width, 0, 1 - f.width);
			f.pos_y = clamp(f.pos_y + (arrows[e.key][1] * step) / p.css_height, 0, 1 - f.height);
			this.changed(f);
			this.update_coords(f);
		});
	}

	// ------------------------------------------------------------------------------ actions

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
};
