// The designer's three columns: the palette, anchors and field list; the pages; the properties.
import { TYPE_DEFAULTS } from "./field_types.js";
import { esc } from "./util.js";

export const layout = {
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
	},
};
