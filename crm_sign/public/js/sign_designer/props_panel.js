// The right column: the selected field's properties, bound to the field as they are edited.
import { LEGEND, MIN_SIZE, ROLE_LABELS } from "./field_types.js";
import { make_source, source_kind, SOURCE_KINDS } from "./sources.js";
import { clamp, esc, round4 } from "./util.js";

export const props_panel = {
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
	},

	coord_input(prop, label, value, step, ro) {
		const shown = step === 1 ? value : round4(value);
		return `<label class="csd-coord"><span>${esc(label)}</span>
			<input type="number" step="${step}" min="${step === 1 ? 1 : 0}"
				max="${step === 1 ? this.pages.length : 1}" class="form-control input-xs"
				data-coord="${prop}" value="${esc(shown)}" ${ro}></label>`;
	},

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
	},

	format_hint(f) {
		if (f.field_type === "Date") return "date:dd.mm.yyyy";
		if (f.field_type === "Text") return "money:EUR, number:2";
		return "";
	},

	path_label(path) {
		const clean = path.replace(/\[\d+\]/g, "[0]");
		for (const node of this.data.field_tree || []) {
			if (node.path === clean) return node.label;
			for (const child of node.children || []) {
				if (child.path === clean) return `${node.label} › ${child.label}`;
			}
		}
		return "";
	},

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
	},

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
	},

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
	},

	update_coords(f) {
		const set = (prop, value) =>
			this.$props
				.find(`[data-coord="${prop}"]`)
				.val(prop === "page" ? value : round4(value));
		["page", "pos_x", "pos_y", "width", "height"].forEach((prop) => set(prop, f[prop]));
	},
};
