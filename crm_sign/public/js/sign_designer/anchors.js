// Anchors: tags printed in the document ({{sign:client}}) that the server found and offers as
// fields. An anchored field has no box of its own; it lands wherever its tag is.
import { esc } from "./util.js";

// "{{ sign : client }}" and "sign:client" are the same anchor (crm_sign.engine.anchors.anchor_key).
export function anchor_key(anchor) {
	let text = (anchor || "").trim();
	if (text.startsWith("{{") && text.endsWith("}}")) text = text.slice(2, -2);
	return text.replace(/\s+/g, "").toLowerCase();
}

export const anchors = {
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
	},

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
	},

	accept_all() {
		const state = this.suggestion_state();
		(this.data.suggestions || []).forEach((s, i) => {
			if (!state[i]) this.accept_suggestion(i);
		});
	},

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
	},
};
