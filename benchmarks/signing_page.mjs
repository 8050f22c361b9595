// The signing page on a cheap phone: time to the first page visible and to "ready to sign", and the
// bytes transferred before the first page (the document's images aside), with Chrome's CPU throttled
// 4x and the network shaped by the DevTools protocol, at 375x667.
//
// Baseline, measured in the same run and conditions: what the previous page had to download before
// it could paint anything — pdf.js 4.10.38 and its worker as the designer loads them (the
// sign_designer_pdfjs bundle, found in /assets/assets.json, and the worker bench build copies),
// fetched from a blank page of the same site. Ratios are ours / baseline.
//
//   CRM_SIGN_URL=http://crm.localhost:8000 node benchmarks/signing_page.mjs [--rounds 3] [--profiles slow3g,fast3g]
// Needs a running bench (web server and worker); makes one Lead and one request per round.
//
// Targets (issue 11): first page < 2.5 s and < 600 KB transferred before it, on "Slow 3G".

import { existsSync } from "node:fs";
import { parseArgs } from "node:util";

import {
	BASE,
	CHROMIUM,
	contractPdf,
	launchChromium,
	openDesk,
	queuedLinks,
	TEMPLATE_FIELDS,
	uploadPrivateFile,
	xcall,
} from "../tests/browser/fixtures.mjs";

// Chrome DevTools' presets (as Puppeteer's PredefinedNetworkConditions): bytes/s, ms.
const PROFILES = {
	slow3g: {
		download: ((500 * 1000) / 8) * 0.8,
		upload: ((500 * 1000) / 8) * 0.8,
		latency: 400 * 5,
	},
	fast3g: {
		download: ((1.6 * 1000 * 1000) / 8) * 0.9,
		upload: ((750 * 1000) / 8) * 0.9,
		latency: 150 * 3.75,
	},
};
const PDFJS_WORKER = "/assets/crm_sign/dist/pdfjs/4.10.38/pdf.worker.min.js";

const { values: args } = parseArgs({
	options: {
		rounds: { type: "string", default: "3" },
		profiles: { type: "string", default: "slow3g,fast3g" },
	},
});
const ROUNDS = Number(args.rounds);
const STAMP = Date.now().toString(36);

const playwright = await import("playwright-core");
if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}`);
const browser = await launchChromium(playwright);

// Marks, taken in the page: the first page's image decoded, and the "Start" button shown.
const MARKS = () => {
	const mark = (name) => {
		if (!window.__marks[name]) window.__marks[name] = performance.now();
	};
	window.__marks = {};
	new MutationObserver(() => {
		const image = document.querySelector('.cs-page[data-page="1"] img');
		if (image && !image.__watched) {
			image.__watched = true;
			const done = () =>
				image.decode().then(
					() => mark("first_page"),
					() => {}
				);
			if (image.complete && image.naturalWidth) done();
			else image.addEventListener("load", done, { once: true });
		}
		if (document.getElementById("cs-next")) mark("ready");
	}).observe(document, { childList: true, subtree: true });
};

async function throttled(profile) {
	const context = await browser.newContext({
		viewport: { width: 375, height: 667 },
		isMobile: true,
		hasTouch: true,
		deviceScaleFactor: 2,
	});
	const page = await context.newPage();
	const cdp = await context.newCDPSession(page);
	await cdp.send("Network.enable");
	await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
	await cdp.send("Network.emulateNetworkConditions", {
		offline: false,
		downloadThroughput: PROFILES[profile].download,
		uploadThroughput: PROFILES[profile].upload,
		latency: PROFILES[profile].latency,
	});
	await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
	return { context, page };
}

async function newLink(desk, template, round) {
	const lead = await xcall(desk, "frappe.client.insert", {
		doc: {
			doctype: "Lead",
			first_name: "Bench",
			last_name: `${STAMP} ${round}`,
			email_id: `bench.${STAMP}.${round}@example.com`,
		},
	});
	const sent = await xcall(desk, "crm_sign.api.desk.send", {
		doctype: "Lead",
		name: lead.name,
		template,
		channel: "Email",
	});
	const links = await queuedLinks(desk, sent.name);
	return links[`bench.${STAMP}.${round}@example.com`];
}

async function measureOurs(profile, token) {
	const { context, page } = await throttled(profile);
	await page.addInitScript(MARKS);
	await page.goto(`${BASE}/sign/${token}`, { waitUntil: "commit" });
	await page.waitForFunction(() => window.__marks && window.__marks.first_page, null, {
		timeout: 120_000,
		polling: 100,
	});
	await page.waitForFunction(() => window.__marks.ready, null, { timeout: 120_000 });
	const result = await page.evaluate(() => {
		const first = window.__marks.first_page;
		const entries = [
			...performance.getEntriesByType("navigation"),
			...performance.getEntriesByType("resource"),
		];
		const before = entries.filter(
			(e) => e.responseEnd <= first && !e.name.includes("crm_sign.api.guest.page")
		);
		return {
			first: first / 1000,
			ready: window.__marks.ready / 1000,
			bytes: before.reduce((sum, e) => sum + (e.transferSize || 0), 0),
			requests: before.length,
		};
	});
	await context.close();
	return result;
}

async function pdfjsFiles() {
	const assets = await (await fetch(`${BASE}/assets/assets.json`)).json();
	const library = assets["sign_designer_pdfjs.bundle.js"];
	if (!library)
		throw new Error("no sign_designer_pdfjs.bundle.js in assets.json: run bench build");
	return [library, PDFJS_WORKER];
}

async function measureBaseline(profile) {
	const { context, page } = await throttled(profile);
	await page.goto(`${BASE}/assets/crm_sign/css/sign_page.css`, { waitUntil: "commit" });
	const result = await page.evaluate(
		async (files) => {
			const start = performance.now();
			let bytes = 0;
			await Promise.all(
				files.map(async (file) => {
					const response = await fetch(`${file}?nocache=${Math.random()}`, {
						cache: "no-store",
					});
					if (!response.ok) throw new Error(`${file}: HTTP ${response.status}`);
					bytes += (await response.arrayBuffer()).byteLength;
				})
			);
			return { seconds: (performance.now() - start) / 1000, bytes };
		},
		await pdfjsFiles()
	);
	await context.close();
	return result;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const desk = await (await browser.newContext()).newPage();
await openDesk(desk);
const fileUrl = await uploadPrivateFile(desk, contractPdf(), "bench.pdf");
const template = (
	await xcall(desk, "frappe.client.insert", {
		doc: {
			doctype: "Sign Template",
			template_name: `Signing page benchmark ${STAMP}`,
			reference_doctype: "Lead",
			source_type: "Uploaded PDF",
			pdf_file: fileUrl,
			signing_order: "Counterparty first",
			channel: "Email",
			fields: TEMPLATE_FIELDS,
		},
	})
).name;

const rows = [];
for (const profile of args.profiles.split(",")) {
	const ours = [];
	const baseline = [];
	for (let round = 0; round < ROUNDS; round++) {
		// Interleaved, so both see the same machine.
		baseline.push(await measureBaseline(profile));
		ours.push(await measureOurs(profile, await newLink(desk, template, `${profile}${round}`)));
	}
	rows.push({
		profile,
		first: median(ours.map((r) => r.first)),
		ready: median(ours.map((r) => r.ready)),
		kb: median(ours.map((r) => r.bytes)) / 1024,
		requests: median(ours.map((r) => r.requests)),
		pdfjsSeconds: median(baseline.map((r) => r.seconds)),
		pdfjsKb: median(baseline.map((r) => r.bytes)) / 1024,
	});
}
await browser.close();

const pad = (value, width) => String(value).padStart(width);
console.log(
	`signing page at 375x667, CPU 4x slower, ${ROUNDS} round(s) each, medians; ` +
		"baseline = pdf.js + worker download in the same conditions"
);
console.log(
	"profile | first page s | ready s | KB before 1st page | requests | pdf.js floor s | pdf.js KB | first/floor"
);
for (const r of rows) {
	console.log(
		[
			r.profile.padEnd(7),
			pad(r.first.toFixed(2), 12),
			pad(r.ready.toFixed(2), 7),
			pad(r.kb.toFixed(1), 18),
			pad(r.requests, 8),
			pad(r.pdfjsSeconds.toFixed(2), 14),
			pad(r.pdfjsKb.toFixed(1), 9),
			pad((r.first / r.pdfjsSeconds).toFixed(2), 11),
		].join(" | ")
	);
}
const slow = rows.find((r) => r.profile === "slow3g");
if (slow) {
	console.log(
		`targets on slow3g: first page < 2.5 s -> ${slow.first.toFixed(2)} s ` +
			`(${slow.first < 2.5 ? "met" : "missed"}); < 600 KB before it -> ${slow.kb.toFixed(1)} KB ` +
			`(${slow.kb < 600 ? "met" : "missed"})`
	);
}
