// Drag from the palette, move and resize boxes with the pointer; Delete, arrows and Escape.
import { MIN_SIZE, TYPE_DEFAULTS } from "./field_types.js";
import { clamp, esc } from "./util.js";

export const pointer_and_keys = {
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
	},

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
	},
};
