// The dialog that picks a field of the template's doctype (the server's field tree) as a source.
import { esc } from "./util.js";

export const field_picker = {
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
	},
};
