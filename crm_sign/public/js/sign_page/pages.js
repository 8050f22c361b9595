// The document: its pages as images, the signer's fields over them, and the action bar.
// Each page is an image the server rendered from the exact document being signed: the first page
// shows after one small download, with no PDF viewer to fetch and start first. The layout (page
// sizes, field boxes) is known from open_document before any image arrives.
import { API, call } from "./api.js";
import { h, show } from "./dom.js";
import { fieldOverlay, fields, prefill } from "./fields.js";
import { finishPanel } from "./finish.js";
import { nextField, updateProgress } from "./flow.js";
import { __ } from "./i18n.js";
import { intro } from "./screens.js";
import { app, boot } from "./state.js";

export function renderDocument() {
	prefill();
	const pages = h("div", { class: "cs-pages", id: "cs-pages" });
	const status = h("p", { class: "cs-muted cs-loading", text: __("Loading the document…") });
	pages.append(status);
	show(intro(), pages, finishPanel(), actionBar());
	document.body.classList.add("cs-has-actionbar");
	updateProgress();
	loadPages(pages, status);
	// "Viewed" is recorded by this first POST, not by the GET that link scanners also make.
	if (!app.viewedSent) {
		app.viewedSent = true;
		call("open_document").catch(() => {});
	}
}

export function actionBar() {
	return h(
		"div",
		{ class: "cs-actionbar", id: "cs-actionbar" },
		h(
			"div",
			{ class: "cs-actionbar-inner" },
			h(
				"div",
				{ class: "cs-progress" },
				h("div", { class: "cs-progress-fill", id: "cs-progress-fill" }),
				h("span", { class: "cs-progress-text", id: "cs-progress-text" })
			),
			h(
				"button",
				{
					type: "button",
					class: "cs-btn cs-btn-primary",
					id: "cs-next",
					onclick: nextField,
				},
				__("Start")
			)
		)
	);
}

function pageUrl(n, width) {
	const params = new URLSearchParams({ link: app.link, n: String(n), w: String(width) });
	return `${API}page?${params}`;
}

// The same srcset as the page's <link rel=preload> (sign.py), so page 1 is not fetched twice;
// the browser picks the width for the screen and picks again when it turns.
function pageSrcset(n) {
	return boot.page_widths.map((width) => `${pageUrl(n, width)} ${width}w`).join(", ");
}

function loadPages(container, status) {
	const sizes = app.page.pages || [];
	if (!sizes.length) {
		status.textContent = __(
			"The document could not be loaded. Check your connection and reload the page."
		);
		status.className = "cs-error";
		return;
	}
	status.remove();
	const documents = app.page.documents || [];
	sizes.forEach(([pageWidth, pageHeight], i) => {
		const n = i + 1;
		// An envelope: each document is headed by its title where its first page begins.
		const starts = documents.findIndex((d) => Number(d.first_page) === n);
		if (documents.length > 1 && starts >= 0)
			container.append(
				h("h2", {
					class: "cs-document-head",
					text: __("Document {0} of {1}: {2}", [
						starts + 1,
						documents.length,
						documents[starts].title,
					]),
				})
			);
		const wrap = h("div", {
			class: "cs-page",
			"data-page": n,
			style: { aspectRatio: `${pageWidth} / ${pageHeight}` },
			"aria-label": __("Page {0} of {1}", [n, sizes.length]),
			role: "group",
		});
		const image = h("img", {
			class: "cs-page-img",
			alt: "",
			// loading and sizes before srcset and src: they decide what is fetched, and when
			loading: n <= 2 ? "eager" : "lazy",
			decoding: "async",
			draggable: "false",
			fetchpriority: n === 1 ? "high" : "auto",
			sizes: boot.page_sizes,
			srcset: pageSrcset(n),
			src: pageUrl(n, boot.page_widths[1]),
			onerror: () => {
				wrap.classList.add("cs-page-failed");
				wrap.dataset.error = __(
					"The document could not be loaded. Check your connection and reload the page."
				);
			},
		});
		wrap.append(image, h("div", { class: "cs-page-no", text: `${n} / ${sizes.length}` }));
		for (const f of fields().filter((x) => Number(x.page) === n)) wrap.append(fieldOverlay(f));
		container.append(wrap);
	});
	app.pagesShown = true;
}
