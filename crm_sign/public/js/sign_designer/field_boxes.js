// The fields drawn over the pages and listed on the left, and which one is selected.
import { TYPE_DEFAULTS } from "./field_types.js";
import { esc } from "./util.js";

export const field_boxes = {
	render_all() {
		this.$pages.find(".csd-field").remove();
		this.fields.forEach((f) => this.render_field(f));
		this.render_suggestions();
		this.render_list();
		this.render_props();
	},

	box_css(box) {
		return {
			left: box.x * 100 + "%",
			top: box.y * 100 + "%",
			width: box.w * 100 + "%",
			height: box.h * 100 + "%",
		};
	},

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
	},

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
	},

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
	},
};
