// The document's pages, drawn by pdf.js onto canvases as they scroll into view, and zoom.
import { esc } from "./util.js";

// pdf.js is the bundle sign_designer_pdfjs.bundle.js, fetched the first time a document is shown.
// (Frappe's esbuild makes one file per entry and no chunks: an import() here would put pdf.js into
// this bundle.) Its worker cannot go through that build (esbuild cannot lower its for-await to
// es2017), so `yarn build` copies pdfjs-dist's own into dist/ (scripts/copy_pdf_worker.mjs), in a
// folder named after the version so the library never meets a cached worker of another one.
let pdfjs_loaded = null;
function load_pdfjs() {
	if (!pdfjs_loaded) {
		pdfjs_loaded = frappe.require("sign_designer_pdfjs.bundle.js").then(() => {
			const pdfjs = crm_sign.designer.pdfjs;
			pdfjs.GlobalWorkerOptions.workerSrc = `/assets/crm_sign/dist/pdfjs/${pdfjs.version}/pdf.worker.min.js`;
			return pdfjs;
		});
	}
	return pdfjs_loaded;
}

export const pdf_pages = {
	async load_pdf(url) {
		const pdfjs = await load_pdfjs();
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
	},

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
	},

	fit_width() {
		const available = this.$pages_scroll.get(0).clientWidth - 40;
		const widest = Math.max(...this.pages.map((p) => p.width), 1);
		return Math.max(available, 200) / widest;
	},

	layout_pages() {
		const scale = this.fit_width() * this.zoom;
		for (const p of this.pages) {
			p.css_width = Math.floor(p.width * scale);
			p.css_height = Math.floor(p.height * scale);
			p.$page.css({ width: p.css_width, height: p.css_height });
		}
		this.$root.find(".csd-zoom-value").text(Math.round(this.zoom * 100) + "%");
	},

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
	},

	is_visible(p) {
		const box = p.$page.get(0).getBoundingClientRect();
		const view = this.$pages_scroll.get(0).getBoundingClientRect();
		return box.bottom > view.top - 300 && box.top < view.bottom + 300;
	},

	set_zoom(how) {
		if (!this.pages.length) return;
		const steps = [0.5, 0.67, 0.75, 0.9, 1, 1.1, 1.25, 1.5, 2];
		if (how === "fit") this.zoom = 1;
		else if (how === "in") this.zoom = steps.find((s) => s > this.zoom + 0.001) || 2;
		else this.zoom = [...steps].reverse().find((s) => s < this.zoom - 0.001) || 0.5;
		this.on_resize();
	},

	on_resize() {
		if (!this.pages.length) return;
		this.layout_pages();
		this.pages.filter((p) => this.is_visible(p)).forEach((p) => this.render_page(p));
	},

	page_at(x, y) {
		for (const el of document.elementsFromPoint(x, y)) {
			if (el.classList && el.classList.contains("csd-page")) {
				return this.pages[Number(el.dataset.page) - 1] || null;
			}
		}
		return null;
	},
};
