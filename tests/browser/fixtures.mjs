// Test fixtures for the browser tests: a small contract PDF written by hand (no binary file in the
// repository, no Python step). One A4 page in Helvetica with two signature anchors and a date anchor,
// so the designer has anchors to suggest and the template has anchored fields to place.

// Where and how every browser suite runs: the bench's web server, the desk user, the browser.
//   CRM_SIGN_URL          the bench's web server (default http://127.0.0.1:8000)
//   CRM_SIGN_USER         default Administrator; CRM_SIGN_PASSWORD default admin
//   CRM_SIGN_SCREENSHOTS  directory for screenshots (default /tmp/crm_sign_shots)
//   CRM_SIGN_CHROMIUM     browser binary (default /usr/bin/chromium)
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";

export const BASE = (process.env.CRM_SIGN_URL || "http://127.0.0.1:8000").replace(/\/$/, "");
export const USER = process.env.CRM_SIGN_USER || "Administrator";
export const PASSWORD = process.env.CRM_SIGN_PASSWORD || "admin";
export const SHOTS = process.env.CRM_SIGN_SCREENSHOTS || "/tmp/crm_sign_shots";
export const CHROMIUM = process.env.CRM_SIGN_CHROMIUM || "/usr/bin/chromium";
// Without the background-networking flags Chromium keeps calling hosts this machine cannot reach.
export const CHROMIUM_ARGS = [
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-quic",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
];
/** A signing link in an e-mail; group 1 is the token. */
export const LINK = /\/sign\/([A-Za-z0-9_-]{43})/;

/** playwright-core, once the browser is known to be there (a suite fails, never skips, without them). */
export async function requirePlaywright() {
	const playwright = await import("playwright-core").catch(() => null);
	assert.ok(playwright, "playwright-core is not installed (npm install)");
	assert.ok(existsSync(CHROMIUM), `no browser at ${CHROMIUM} (apt-get install chromium)`);
	return playwright;
}

/** A phone as the signing page's customers hold it. */
export const PHONE = { viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true };

/** A screenshot in SHOTS, named in the test's output so a reviewer finds it. */
export async function screenshot(page, name, { fullPage = false, settle = 300 } = {}) {
	if (settle) await page.waitForTimeout(settle);
	mkdirSync(SHOTS, { recursive: true });
	const file = path.join(SHOTS, name);
	await page.screenshot({ path: file, fullPage });
	console.log(`# screenshot ${file}`);
	return file;
}

/** Debian's Chromium, headless, through playwright-core. */
export function launchChromium(playwright) {
	return playwright.chromium.launch({
		executablePath: CHROMIUM,
		args: CHROMIUM_ARGS,
		headless: true,
	});
}

/** Log `request` (a Playwright APIRequestContext, e.g. page.request) in as the desk user. */
export async function login(request, user = USER, password = PASSWORD) {
	const response = await request.post(`${BASE}/api/method/login`, {
		form: { usr: user, pwd: password },
	});
	if (response.status() !== 200) {
		throw new Error(`login as ${user} failed: ${response.status()} ${await response.text()}`);
	}
}

/** Open a desk form in `page` and wait until it is the current, rendered form. */
export async function openForm(page, doctype, name) {
	const slug = doctype.toLowerCase().replace(/ /g, "-");
	await page.goto(`${BASE}/app/${slug}/${encodeURIComponent(name)}`);
	await page.waitForFunction(
		([dt, dn]) => window.cur_frm && cur_frm.doctype === dt && cur_frm.docname === dn,
		[doctype, name],
		{ timeout: 60_000 }
	);
	await page.waitForSelector(".page-actions, .form-layout", { state: "visible" });
}

/** A drawn signature as the signing page makes it: a PNG data URL from a canvas in `page`. */
export function drawnSignature(page) {
	return page.evaluate(() => {
		const canvas = document.createElement("canvas");
		canvas.width = 400;
		canvas.height = 120;
		const ctx = canvas.getContext("2d");
		ctx.lineWidth = 3;
		ctx.beginPath();
		ctx.moveTo(20, 90);
		ctx.bezierCurveTo(80, 10, 140, 120, 200, 50);
		ctx.bezierCurveTo(260, 0, 320, 110, 380, 40);
		ctx.stroke();
		return canvas.toDataURL("image/png");
	});
}

const A4 = [595.28, 841.89];

function pdfString(text) {
	return "(" + text.replace(/\\/g, "\\\\").replace(/\(/g, "\\(").replace(/\)/g, "\\)") + ")";
}

function textLine(x, y, size, text, font = "F1") {
	return `BT /${font} ${size} Tf ${x} ${y} Td ${pdfString(text)} Tj ET`;
}

const PARAGRAPHS = [
	"1. Subject. The Provider sets up, configures and supports the CRM software for the Client",
	"as described in the attached quotation, including user training and technical support.",
	"2. Term. The agreement takes effect on signature and runs for twelve (12) months. It renews",
	"for one year on the same terms unless either party gives written notice 30 days before it ends.",
	"3. Fees. The fee is the amount in the attached quotation, excluding VAT, payable within",
	"fifteen (15) days of the invoice date.",
	"4. Confidentiality. Each party keeps the other's trade secrets and personal data confidential",
	"and processes personal data only as the law allows.",
];

/** The fixture contract as bytes (about 2 KB). */
export function contractPdf() {
	const [w, h] = A4;
	const lines = [
		"0.15 0.2 0.3 rg",
		textLine(56, h - 80, 20, "Service Agreement", "F2"),
		"0.3 0.3 0.35 rg",
		textLine(
			56,
			h - 104,
			10,
			"between Example Software Ltd (the Provider) and the Client named below"
		),
		"0.1 0.1 0.12 rg",
		textLine(56, h - 150, 11, "Client:", "F2"),
		"0.6 0.6 0.65 RG 0.5 w",
		`130 ${h - 153} m 400 ${h - 153} l S`,
		textLine(56, h - 172, 11, "E-mail:", "F2"),
		`130 ${h - 175} m 400 ${h - 175} l S`,
	];
	PARAGRAPHS.forEach((text, i) => lines.push(textLine(56, h - 220 - i * 16, 10, text)));
	lines.push(
		textLine(56, 230, 11, "For the Provider", "F2"),
		textLine(320, 230, 11, "For the Client", "F2"),
		"0.55 0.55 0.6 rg",
		textLine(56, 170, 9, "{{sign:company}}"),
		textLine(320, 170, 9, "{{sign:client}}"),
		textLine(320, 130, 9, "{{date:client}}"),
		`56 165 m 260 165 l S 320 165 m 540 165 l S`,
		"0.4 0.4 0.45 rg",
		textLine(56, 50, 8, "crm_sign browser test fixture - page 1 of 1")
	);
	const content = lines.join("\n");
	const objects = [
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${w} ${h}] ` +
			"/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
		`<< /Length ${Buffer.byteLength(content, "latin1")} >>\nstream\n${content}\nendstream`,
	];
	let out = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";
	const offsets = [];
	objects.forEach((body, i) => {
		offsets.push(Buffer.byteLength(out, "latin1"));
		out += `${i + 1} 0 obj\n${body}\nendobj\n`;
	});
	const xref = Buffer.byteLength(out, "latin1");
	out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
	out += offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("");
	out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
	return Buffer.from(out, "latin1");
}

/** Rows of the test template: a prefilled name, and the two signatures placed by their anchors. */
export const TEMPLATE_FIELDS = [
	{
		field_label: "Client name",
		field_type: "Text",
		filled_by: "Prefilled",
		source: "lead_name",
		page: 1,
		pos_x: 0.22,
		pos_y: 0.158,
		width: 0.45,
		height: 0.022,
		font_size: 10,
		required: 1,
	},
	{
		field_label: "Client e-mail",
		field_type: "Email",
		filled_by: "Prefilled",
		source: "email_id",
		page: 1,
		pos_x: 0.22,
		pos_y: 0.184,
		width: 0.45,
		height: 0.022,
		font_size: 10,
		required: 1,
	},
	{
		field_label: "Provider signature",
		field_type: "Signature",
		filled_by: "Company",
		anchor: "{{sign:company}}",
		page: 1,
		font_size: 10,
		required: 1,
	},
	{
		field_label: "Client signature",
		field_type: "Signature",
		filled_by: "Counterparty",
		anchor: "{{sign:client}}",
		page: 1,
		font_size: 10,
		required: 1,
	},
];

/** Log `page` in and open the desk, ready for frappe.xcall (the boot and the CSRF token are there). */
export async function openDesk(page) {
	await login(page.request);
	await page.goto(`${BASE}/app`);
	await page.waitForFunction(() => window.frappe && frappe.boot && frappe.csrf_token, null, {
		timeout: 60_000,
	});
}

/** Chromium and a logged-in desk page at a laptop's size; the page's script errors go to `errors`. */
export async function launchDesk(playwright, errors) {
	mkdirSync(SHOTS, { recursive: true });
	const browser = await launchChromium(playwright);
	const desk = await (
		await browser.newContext({ viewport: { width: 1366, height: 900 } })
	).newPage();
	if (errors) desk.on("pageerror", (e) => errors.push(`desk: ${e.message}`));
	await openDesk(desk);
	return { browser, desk };
}

/** frappe.xcall in a desk `page`; fails the test with the server's message. */
export async function xcall(page, method, args = {}) {
	const r = await page.evaluate(
		async ([m, a]) => {
			try {
				return { ok: true, message: await frappe.xcall(m, a) };
			} catch (e) {
				return { ok: false, error: String(e && (e.message || e)) };
			}
		},
		[method, args]
	);
	if (!r.ok) throw new Error(`${method} failed: ${r.error}`);
	return r.message;
}

/** Upload `bytes` as a private File from a desk `page`; returns its file_url. */
export function uploadPrivateFile(page, bytes, name = "upload.pdf") {
	return page.evaluate(
		async ([data, fileName]) => {
			const form = new FormData();
			form.append(
				"file",
				new Blob([new Uint8Array(data)], { type: "application/pdf" }),
				fileName
			);
			form.append("is_private", "1");
			const r = await fetch("/api/method/upload_file", {
				method: "POST",
				body: form,
				headers: { "X-Frappe-CSRF-Token": frappe.csrf_token, Accept: "application/json" },
			});
			return (await r.json()).message.file_url;
		},
		[Array.from(bytes), name]
	);
}

// ------------------------------------------------------------------ SMTP sink for the site's mail

export function startSmtpSink() {
	const messages = [];
	const server = net.createServer((socket) => {
		socket.setEncoding("utf8");
		let buffer = "";
		let data = null;
		socket.write("220 crm-sign-test ESMTP\r\n");
		socket.on("error", () => {});
		socket.on("data", (chunk) => {
			buffer += chunk;
			let end;
			while ((end = buffer.indexOf("\r\n")) >= 0) {
				const line = buffer.slice(0, end);
				buffer = buffer.slice(end + 2);
				if (data !== null) {
					if (line === ".") {
						messages.push(data);
						data = null;
						socket.write("250 OK\r\n");
					} else data += (line.startsWith("..") ? line.slice(1) : line) + "\r\n";
					continue;
				}
				const verb = line.slice(0, 4).toUpperCase();
				if (verb === "EHLO") socket.write("250-crm-sign-test\r\n250 8BITMIME\r\n");
				else if (verb === "DATA") {
					data = "";
					socket.write("354 go ahead\r\n");
				} else if (verb === "QUIT") {
					socket.write("221 bye\r\n");
					socket.end();
				} else socket.write("250 OK\r\n");
			}
		});
	});
	return new Promise((resolve) =>
		server.listen(0, "127.0.0.1", () =>
			resolve({ server, port: server.address().port, messages })
		)
	);
}

/**
 * Mail for a browser test, through `call(method, args)` (a logged-in System Manager): the site's own
 * default outgoing account keeps queueing but sends nothing while the test runs (the one-time code is
 * sent at once, and a test site's SMTP server may not answer); a site without one gets an account
 * that delivers to an SMTP sink on 127.0.0.1. Returns an async function that undoes either.
 */
export async function useTestMail(call) {
	const accounts = await call("frappe.client.get_list", {
		doctype: "Email Account",
		filters: { enable_outgoing: 1, default_outgoing: 1 },
		fields: ["name"],
	});
	if (accounts.length) {
		await call("frappe.email.doctype.email_queue.email_queue.toggle_sending", { enable: 0 });
		return () =>
			call("frappe.email.doctype.email_queue.email_queue.toggle_sending", { enable: 1 });
	}
	const sink = await startSmtpSink();
	const name = "crm_sign browser test";
	const values = {
		email_id: "crm-sign-test@example.com",
		enable_outgoing: 1,
		default_outgoing: 1,
		enable_incoming: 0,
		smtp_server: "127.0.0.1",
		smtp_port: String(sink.port),
		use_tls: 0,
		use_ssl: 0,
		no_smtp_authentication: 1,
	};
	const existing = await call("frappe.client.get_list", {
		doctype: "Email Account",
		filters: { name },
		fields: ["name"],
	});
	if (existing.length) {
		await call("frappe.client.set_value", {
			doctype: "Email Account",
			name,
			fieldname: JSON.stringify(values),
		});
	} else {
		await call("frappe.client.insert", {
			doc: { doctype: "Email Account", email_account_name: name, ...values },
		});
	}
	return async () => {
		await call("frappe.client.set_value", {
			doctype: "Email Account",
			name,
			fieldname: JSON.stringify({ enable_outgoing: 0, default_outgoing: 0 }),
		});
		sink.server.close();
	};
}

/**
 * Why a bundle of crm_sign is not served by BASE (null when it is): its hashed name is in
 * /assets/assets.json once `bench build` ran.
 */
export async function whyBundleNotServed(bundle) {
	try {
		const assets = await fetch(`${BASE}/assets/assets.json`, {
			signal: AbortSignal.timeout(8000),
		}).then((r) => (r.ok ? r.json() : {}));
		const path = assets[bundle];
		const r = path && (await fetch(`${BASE}${path}`, { signal: AbortSignal.timeout(8000) }));
		if (!r || !r.ok)
			return `crm_sign's assets are not served by ${BASE} (install the app, bench build)`;
	} catch (e) {
		return `crm_sign's assets could not be fetched: ${e.message}`;
	}
	return null;
}

/** A stroke across the signature pad `canvas` (a locator), as a finger draws it. */
export async function drawOn(page, canvas, wobble = 1) {
	const box = await canvas.boundingBox();
	const y0 = box.y + box.height * 0.6;
	await page.mouse.move(box.x + box.width * 0.12, y0);
	await page.mouse.down();
	for (let i = 1; i <= 24; i++) {
		const x = box.x + box.width * (0.12 + (0.72 * i) / 24);
		const y = y0 - Math.sin(i / (2.2 * wobble)) * box.height * 0.25 - (i % 6) * 2;
		await page.mouse.move(x, y, { steps: 2 });
	}
	await page.mouse.up();
}

/**
 * On an open signing page whose signer has one signature field: open it, draw a signature, accept
 * the consent and sign. When another party signed since the page loaded, the server answers 409 and
 * the page shows the updated document with an alert: the signer looks again and signs once more.
 * Resolves with the number of tries it took.
 */
export async function drawAndSign(page) {
	const done =
		'[data-testid="state-signed"], [data-testid="state-sealing"], [data-testid="state-completed"]';
	for (let tries = 1; tries <= 2; tries++) {
		await page.waitForSelector(".cs-page img", { timeout: 60_000 });
		const next = page.locator("#cs-next");
		// After a 409 the page keeps the signature drawn: the bar offers "Review and sign" at once.
		if ((await next.innerText()).trim() !== "Review and sign") {
			await next.click();
			const sheet = page.locator(".cs-sheet");
			await sheet.waitFor({ state: "visible" });
			await drawOn(page, sheet.locator(".cs-pad-canvas"));
			await sheet.locator(".cs-sheet-actions .cs-btn-primary").click();
			await sheet.waitFor({ state: "detached" });
		}
		await next.click();
		await page.locator("#cs-consent").check();
		const signed = page.waitForSelector(done, { timeout: 60_000 }).then(
			() => "signed",
			() => null
		);
		const updated = page.waitForEvent("dialog", { timeout: 60_000 }).then(
			async (dialog) => {
				await dialog.accept();
				return "updated";
			},
			() => null
		);
		await page.locator("#cs-sign").click();
		const outcome = await Promise.race([signed, updated]);
		if (outcome === "signed") return tries;
		if (outcome !== "updated")
			throw new Error("the page neither signed nor asked to look again");
	}
	throw new Error("the document changed twice while signing");
}

/** The signing links queued for `request`, by recipient (as each person reads them in their mail). */
export async function queuedLinks(page, request) {
	return page.evaluate(
		async ([name, pattern]) => {
			const queues = await frappe.xcall("frappe.client.get_list", {
				doctype: "Email Queue",
				filters: { reference_doctype: "Sign Request", reference_name: name },
				fields: ["name", "message"],
				order_by: "creation asc",
				limit_page_length: 0,
			});
			const links = {};
			for (const q of queues) {
				const found = new RegExp(pattern).exec(
					q.message.replace(/=\r?\n/g, "").replace(/=3D/g, "=")
				);
				if (!found) continue;
				const doc = await frappe.xcall("frappe.client.get", {
					doctype: "Email Queue",
					name: q.name,
				});
				for (const r of doc.recipients || []) links[r.recipient] = found[1];
			}
			return links;
		},
		[request, LINK.source]
	);
}
