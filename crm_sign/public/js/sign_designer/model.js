// The template's fields as the designer edits them, and the rows they are saved as.
import { TYPE_DEFAULTS } from "./field_types.js";
import { clamp, round4 } from "./util.js";

export const model = {
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
	},

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
	},

	is_anchored(f) {
		return !!f.anchor && !(f.width > 0 && f.height > 0);
	},

	// The box a field is drawn in: its own, or where its anchor lands in this document.
	box_of(f) {
		if (!this.is_anchored(f)) {
			return { page: f.page, x: f.pos_x, y: f.pos_y, w: f.width, h: f.height };
		}
		const p = f.placement;
		if (!p) return null;
		return { page: p.page, x: p.pos_x, y: p.pos_y, w: p.width, h: p.height };
	},

	field(id) {
		return this.fields.find((f) => f.id === id) || null;
	},

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
	},

	new_label(type) {
		const labels = new Set(this.fields.map((f) => f.field_label));
		let n = this.fields.filter((f) => f.field_type === type).length + 1;
		while (labels.has(`${__(type)} ${n}`)) n++;
		return `${__(type)} ${n}`;
	},

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
	},

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
	},

	remove_field(id) {
		const f = this.field(id);
		if (!f) return;
		this.fields = this.fields.filter((x) => x.id !== id);
		this.$root.find(`.csd-field[data-id="${id}"]`).remove();
		if (this.selected === id) this.select(null);
		this.set_dirty(true);
		this.render_list();
		this.render_suggestions();
	},

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
	},
};
