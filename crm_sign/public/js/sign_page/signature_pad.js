// The signature pad: draw with a finger or mouse, or type the name in one of three script fonts.
// Either way the result is a PNG data URL, used for every signature (or initials) box.
import { h } from "./dom.js";
import { nextAfter, repaintField } from "./fields.js";
import { activate, focusField } from "./flow.js";
import { __ } from "./i18n.js";
import { cancelButton, closeSheet, openSheet } from "./sheet.js";
import { app } from "./state.js";

// The fonts are in sign_page.css (@font-face); size evens out how large each one looks.
const STYLES = [
	{ family: "CS Dancing Script", size: 1 },
	{ family: "CS Great Vibes", size: 1.1 },
	{ family: "CS Caveat", size: 1.05 },
];
const INK = "#1e2a6b";
const LINE_WIDTH = 2.6;

function initialsOf(name) {
	return (name || "")
		.split(/\s+/)
		.filter(Boolean)
		.map((part) => part[0].toLocaleUpperCase(app.lang))
		.join("")
		.slice(0, 4);
}

// f is the field tapped (or a stand-in when the document has no signature box); onAdopt replaces
// the usual move to the next field.
export function openPad(f, onAdopt) {
	const isInitials = f.type === "Initials";
	const pad = { mode: "draw", strokes: 0, style: 0 };
	const error = h("p", { class: "cs-error", role: "alert" });
	const canvas = h("canvas", {
		class: "cs-pad-canvas",
		"aria-label": __("Sign with your finger or mouse in the box"),
	});
	const clear = h(
		"button",
		{ type: "button", class: "cs-btn cs-btn-link cs-pad-clear" },
		__("Clear")
	);
	const drawPane = h(
		"div",
		{ class: "cs-pad-draw" },
		h(
			"div",
			{ class: "cs-pad-frame" },
			canvas,
			h("div", { class: "cs-pad-line", "aria-hidden": "true" })
		),
		h(
			"div",
			{ class: "cs-row cs-pad-hint" },
			h("span", {
				class: "cs-muted",
				text: __("Sign with your finger or mouse in the box"),
			}),
			clear
		)
	);
	const nameInput = h("input", {
		class: "cs-input",
		id: "cs-typed",
		type: "text",
		maxlength: "60",
		autocomplete: "name",
	});
	nameInput.value = isInitials ? initialsOf(app.page.signer_name) : app.page.signer_name || "";
	const styleButtons = STYLES.map((style, i) =>
		h("button", {
			type: "button",
			class: "cs-style" + (i === 0 ? " cs-selected" : ""),
			"aria-pressed": i === 0 ? "true" : "false",
			"aria-label": __("Style {0}", [i + 1]),
			style: { fontFamily: `"${style.family}", cursive` },
			onclick: () => {
				pad.style = i;
				styleButtons.forEach((b, j) => {
					b.classList.toggle("cs-selected", j === i);
					b.setAttribute("aria-pressed", j === i ? "true" : "false");
				});
			},
		})
	);
	const syncStyles = () => styleButtons.forEach((b) => (b.textContent = nameInput.value || "—"));
	nameInput.addEventListener("input", syncStyles);
	syncStyles();
	const typePane = h(
		"div",
		{ class: "cs-pad-type", hidden: true },
		h("label", { class: "cs-label", for: "cs-typed", text: __("Type your name") }),
		nameInput,
		h("div", { class: "cs-styles", role: "group" }, styleButtons)
	);
	const tabs = ["draw", "type"].map((mode) =>
		h(
			"button",
			{
				type: "button",
				role: "tab",
				class: "cs-tab" + (mode === "draw" ? " cs-selected" : ""),
				"aria-selected": mode === "draw" ? "true" : "false",
				"data-mode": mode,
				onclick: () => {
					pad.mode = mode;
					drawPane.hidden = mode !== "draw";
					typePane.hidden = mode !== "type";
					tabs.forEach((b) => {
						b.classList.toggle("cs-selected", b.dataset.mode === mode);
						b.setAttribute(
							"aria-selected",
							b.dataset.mode === mode ? "true" : "false"
						);
					});
					if (mode === "draw") sizeCanvas();
					else nameInput.focus();
				},
			},
			mode === "draw" ? __("Draw") : __("Type")
		)
	);
	const adopt = h(
		"button",
		{
			type: "button",
			class: "cs-btn cs-btn-primary",
			onclick: async () => {
				const url =
					pad.mode === "draw"
						? inkToPng(ink)
						: await typedToPng(nameInput.value.trim(), STYLES[pad.style]);
				if (!url) {
					error.textContent = __("Draw or type your signature first.");
					return;
				}
				if (isInitials) app.initials = url;
				else app.signature = url;
				repaintField(f);
				const n = onAdopt ? null : nextAfter(f);
				closeSheet();
				if (onAdopt) onAdopt();
				else if (n) {
					focusField(n);
					activate(n);
				}
			},
		},
		__("Adopt and sign")
	);
	const cancel = cancelButton();
	openSheet(
		isInitials ? __("Your initials") : __("Your signature"),
		[h("div", { class: "cs-tabs", role: "tablist" }, tabs), drawPane, typePane, error],
		[cancel, adopt]
	).classList.add("cs-sheet-pad");

	// Drawing: strokes are kept as points in CSS pixels and redrawn whole, so a resize keeps them.
	const ctx = canvas.getContext("2d");
	let last = null;
	let ink = [];
	function sizeCanvas() {
		const ratio = window.devicePixelRatio || 1;
		const rect = canvas.getBoundingClientRect();
		if (!rect.width) return;
		canvas.width = Math.round(rect.width * ratio);
		canvas.height = Math.round(rect.height * ratio);
		ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
		ctx.lineCap = "round";
		ctx.lineJoin = "round";
		ctx.strokeStyle = INK;
		ctx.lineWidth = LINE_WIDTH;
		redraw();
	}
	function redraw() {
		ctx.clearRect(0, 0, canvas.width, canvas.height);
		strokeInk(ctx, ink);
	}
	function point(e) {
		const rect = canvas.getBoundingClientRect();
		return { x: e.clientX - rect.left, y: e.clientY - rect.top };
	}
	canvas.addEventListener("pointerdown", (e) => {
		e.preventDefault();
		canvas.setPointerCapture(e.pointerId);
		last = point(e);
		ink.push([last]);
		error.textContent = "";
		redraw();
	});
	canvas.addEventListener("pointermove", (e) => {
		if (!last) return;
		const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
		for (const ev of events) ink[ink.length - 1].push(point(ev));
		last = point(e);
		redraw();
	});
	const end = () => (last = null);
	canvas.addEventListener("pointerup", end);
	canvas.addEventListener("pointercancel", end);
	clear.addEventListener("click", () => {
		ink = [];
		redraw();
	});
	requestAnimationFrame(sizeCanvas);
}

function strokeInk(ctx, ink) {
	for (const stroke of ink) {
		ctx.beginPath();
		stroke.forEach((p, i) => (i ? ctx.lineTo(p.x, p.y) : ctx.moveTo(p.x, p.y)));
		// a single tap is a dot
		if (stroke.length === 1) ctx.lineTo(stroke[0].x + 0.1, stroke[0].y);
		ctx.stroke();
	}
}

// The drawing cropped to its ink and scaled up (at most 3x, 900x300): "" when it is too small.
function inkToPng(ink) {
	const points = ink.flat();
	if (points.length < 2) return "";
	const xs = points.map((p) => p.x);
	const ys = points.map((p) => p.y);
	const pad = 8;
	const minX = Math.min(...xs) - pad;
	const minY = Math.min(...ys) - pad;
	const w = Math.max(...xs) + pad - minX;
	const hgt = Math.max(...ys) + pad - minY;
	if (w < 12 && hgt < 12) return "";
	const scale = Math.min(3, 900 / w, 300 / hgt);
	const out = document.createElement("canvas");
	out.width = Math.max(1, Math.round(w * scale));
	out.height = Math.max(1, Math.round(hgt * scale));
	const o = out.getContext("2d");
	o.setTransform(scale, 0, 0, scale, -minX * scale, -minY * scale);
	o.lineCap = "round";
	o.lineJoin = "round";
	o.strokeStyle = INK;
	o.lineWidth = LINE_WIDTH;
	strokeInk(o, ink);
	return out.toDataURL("image/png");
}

// The typed name in the chosen font, squeezed to 1600 px at most.
async function typedToPng(text, style) {
	if (!text) return "";
	const size = Math.round(96 * style.size);
	const font = `${size}px "${style.family}"`;
	try {
		await document.fonts.load(font, text);
	} catch (e) {
		/* draw with the fallback font */
	}
	const measure = document.createElement("canvas").getContext("2d");
	measure.font = `${font}, cursive`;
	const width = Math.ceil(measure.measureText(text).width);
	const out = document.createElement("canvas");
	out.width = Math.min(1600, width + 48);
	out.height = Math.round(size * 1.6);
	const o = out.getContext("2d");
	o.font = `${font}, cursive`;
	o.fillStyle = INK;
	o.textBaseline = "middle";
	const fit = Math.min(1, (out.width - 48) / Math.max(width, 1));
	o.setTransform(fit, 0, 0, 1, 24, 0);
	o.fillText(text, 0, out.height / 2);
	return out.toDataURL("image/png");
}
