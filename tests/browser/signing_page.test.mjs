// Browser test of the public signing page (/sign/<token>) on a phone (375x667) and a desktop
// (1280x800): the happy path to a sealed PDF, declining with a reason, five wrong one-time codes,
// an expired link.
//
//   CRM_SIGN_URL=http://127.0.0.1:8000 node --test tests/browser/
//
// Environment:
//   CRM_SIGN_URL          the bench's web server (default http://127.0.0.1:8000, serving the site)
//   CRM_SIGN_USER         default Administrator (the company signer of the test template)
//   CRM_SIGN_PASSWORD     default admin
//   CRM_SIGN_SCREENSHOTS  directory for screenshots (default /tmp/crm_sign_shots)
//   CRM_SIGN_CHROMIUM     browser binary (default /usr/bin/chromium)
//   CRM_SIGN_BENCH        bench directory (default /opt/frappe-bench): when nothing answers on the
//                         default URL, `frappe serve` (and a worker, for the sealing job) is started
//                         from there and stopped afterwards; its Python makes the contract PDF and
//                         its `crm-sign verify` checks the downloaded PDF.
// The test skips, with the reason, when the server, the app or the browser is not there.
// Links are read from the Email Queue, as a signer would get them. While the test runs, the site's
// e-mail queue is suspended (queued, not sent: the one-time code is sent at once, and a test site's
// SMTP server may not answer); a site without a default outgoing Email Account gets one that
// delivers to an SMTP sink on 127.0.0.1. Both are undone at the end.

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import {
	BASE,
	CHROMIUM,
	drawOn,
	launchChromium,
	login,
	SHOTS,
	USER,
	useTestMail,
	whyBundleNotServed,
} from "./fixtures.mjs";

const DEFAULT_URL = "http://127.0.0.1:8000";
const BENCH = process.env.CRM_SIGN_BENCH || "/opt/frappe-bench";
const BENCH_PYTHON = path.join(BENCH, "env/bin/python");
const SITE = process.env.CRM_SIGN_SITE || "crm.localhost";
const VIEWPORTS = {
	phone: {
		viewport: { width: 375, height: 667 },
		isMobile: true,
		hasTouch: true,
		deviceScaleFactor: 2,
	},
	desktop: { viewport: { width: 1280, height: 800 } },
};
const STAMP = Date.now().toString(36);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------------ server (started when needed)

const started = [];

async function ping() {
	try {
		const r = await fetch(`${BASE}/api/method/ping`, { signal: AbortSignal.timeout(5000) });
		return (await r.json()).message === "pong";
	} catch (e) {
		return false;
	}
}

function startBenchProcess(args, name) {
	const log = path.join(SHOTS, `${name}.log`);
	const child = spawn(BENCH_PYTHON, ["-m", "frappe.utils.bench_helper", "frappe", ...args], {
		cwd: path.join(BENCH, "sites"),
		detached: true,
		stdio: ["ignore", "pipe", "pipe"],
	});
	const chunks = [];
	child.stdout.on("data", (d) => chunks.push(d));
	child.stderr.on("data", (d) => chunks.push(d));
	child.on("exit", () => writeFileSync(log, Buffer.concat(chunks)));
	started.push(child);
	return child;
}

function stopStarted() {
	for (const child of started.splice(0)) {
		try {
			process.kill(-child.pid, "SIGTERM"); // the process group we started, nothing else
		} catch (e) {
			/* already gone */
		}
	}
}

async function whyNotRunnable() {
	let playwright;
	try {
		playwright = await import("playwright-core");
	} catch (e) {
		return "playwright-core is not installed (npm install)";
	}
	if (!existsSync(CHROMIUM)) return `no browser at ${CHROMIUM} (apt-get install chromium)`;
	mkdirSync(SHOTS, { recursive: true });
	if (!(await ping())) {
		if (BASE !== DEFAULT_URL || !existsSync(BENCH_PYTHON)) {
			return `no Frappe server at ${BASE}; set CRM_SIGN_URL`;
		}
		startBenchProcess(["serve", "--port", "8000"], "bench-serve");
		for (let i = 0; i < 60 && !(await ping()); i++) await sleep(1000);
		if (!(await ping())) {
			stopStarted();
			return `no Frappe server at ${BASE}, and \`frappe serve\` in ${BENCH} did not come up`;
		}
		crm.startedServer = true;
	}
	const notServed = await whyBundleNotServed("sign_page.bundle.js");
	if (notServed) return notServed;
	crm.playwright = playwright;
	return null;
}

const crm = {};
const skip = await whyNotRunnable();
if (skip) console.log(`# skipping the crm_sign signing page tests: ${skip}`);

describe("crm_sign signing page", { skip: skip || false, timeout: 900_000 }, () => {
	let browser;
	let admin; // an APIRequestContext logged in as the company signer
	let pdfUrl;
	let restoreMail = async () => {}; // undoes useTestMail
	const pageErrors = [];

	// ------------------------------------------------------------------ REST as Administrator

	async function rest(method, url, data) {
		const r = await admin.fetch(`${BASE}${url}`, {
			method,
			headers: { Accept: "application/json" },
			...(data ? { form: flatten(data) } : {}),
		});
		const body = await r.json().catch(() => ({}));
		assert.ok(r.ok(), `${method} ${url}: ${r.status()} ${JSON.stringify(body).slice(0, 800)}`);
		return body.message ?? body.data;
	}

	function flatten(data) {
		return Object.fromEntries(
			Object.entries(data).map(([k, v]) => [
				k,
				typeof v === "string" ? v : JSON.stringify(v),
			])
		);
	}

	const callMethod = (method, args) => rest("POST", `/api/method/${method}`, args);

	async function ensureWorker() {
		// the sealing job runs in a worker; start one from the bench when the site has none
		const workers = await rest("GET", "/api/resource/RQ Worker?limit_page_length=20").catch(
			() => []
		);
		if (workers && workers.length) return;
		if (existsSync(BENCH_PYTHON))
			startBenchProcess(["worker", "--queue", "long,default,short"], "bench-worker");
	}

	function contractPdf() {
		return execFileSync(
			BENCH_PYTHON,
			[
				"-c",
				"import sys; from crm_sign.engine.samples import sample_contract_pdf; sys.stdout.buffer.write(sample_contract_pdf())",
			],
			{ cwd: path.join(BENCH, "sites") }
		);
	}

	async function uploadContract() {
		const r = await admin.post(`${BASE}/api/method/upload_file`, {
			headers: { Accept: "application/json" },
			multipart: {
				file: {
					name: `crm-sign-page-test-${STAMP}.pdf`,
					mimeType: "application/pdf",
					buffer: contractPdf(),
				},
				is_private: "1",
				folder: "Home",
			},
		});
		const body = await r.json();
		assert.ok(r.ok(), `upload_file: ${r.status()} ${JSON.stringify(body)}`);
		return body.message.file_url;
	}

	const anchored = (label, type, filledBy, anchor) => ({
		field_label: label,
		field_type: type,
		filled_by: filledBy,
		anchor,
		page: 1,
		font_size: 10,
		required: 1,
	});
	const boxed = (label, type, page, x, y, w, h, required = 1) => ({
		field_label: label,
		field_type: type,
		filled_by: "Counterparty",
		page,
		pos_x: x,
		pos_y: y,
		width: w,
		height: h,
		font_size: 10,
		required,
	});

	async function makeTemplate(signingOrder, otpMethod) {
		const doc = await callMethod("frappe.client.insert", {
			doc: {
				doctype: "Sign Template",
				template_name: `Signing Page Test ${STAMP} ${signingOrder} ${otpMethod}`,
				reference_doctype: "Lead",
				document_kind: "Contract",
				source_type: "Uploaded PDF",
				pdf_file: pdfUrl,
				signing_order: signingOrder,
				company_signer: USER,
				channel: "Email",
				otp_method: otpMethod,
				fields: [
					anchored("Provider name", "Full Name", "Company", "{{name:company}}"),
					anchored("Provider signature", "Signature", "Company", "{{sign:company}}"),
					anchored("Provider date", "Date", "Company", "{{date:company}}"),
					anchored("Client name", "Full Name", "Counterparty", "{{name:client}}"),
					anchored("Client signature", "Signature", "Counterparty", "{{sign:client}}"),
					anchored("Client date", "Date", "Counterparty", "{{date:client}}"),
					boxed("I accept the terms", "Checkbox", 2, 0.095, 0.888, 0.026, 0.019),
					boxed("Job title", "Text", 2, 0.3, 0.885, 0.45, 0.024),
					boxed("Initials", "Initials", 1, 0.8, 0.925, 0.11, 0.045),
				],
			},
		});
		return doc.name;
	}

	const templates = {};
	async function template(signingOrder, otpMethod = "None") {
		const key = `${signingOrder}|${otpMethod}`;
		templates[key] = templates[key] || (await makeTemplate(signingOrder, otpMethod));
		return templates[key];
	}

	async function newRequest(label, signingOrder, otpMethod) {
		const lead = await callMethod("frappe.client.insert", {
			doc: {
				doctype: "Lead",
				first_name: "Ayşe",
				last_name: `Yılmaz ${label}`,
				email_id: `ayse.${label}.${STAMP}@example.com`,
				mobile_no: "+905551112233",
			},
		});
		const sent = await callMethod("crm_sign.api.desk.send", {
			doctype: "Lead",
			name: lead.name,
			template: await template(signingOrder, otpMethod),
		});
		return { lead, request: sent.name, email: lead.email_id };
	}

	function decodeMime(text) {
		// quoted-printable soft breaks and escapes, then any base64 body parts
		const qp = text
			.replace(/=\r?\n/g, "")
			.replace(/=([0-9A-F]{2})/g, (m, hex) => String.fromCharCode(parseInt(hex, 16)));
		const parts = [qp];
		for (const block of text.match(/(?:^[A-Za-z0-9+/=]{40,}\r?\n)+/gm) || []) {
			parts.push(Buffer.from(block.replace(/\s+/g, ""), "base64").toString("utf8"));
		}
		return parts.join("\n");
	}

	/** The signing link most recently queued for `recipient` on `request`, read from the Email Queue. */
	async function linkFromEmail(
		request,
		recipient,
		{ after: notBefore = "", timeout = 30_000 } = {}
	) {
		const deadline = Date.now() + timeout;
		while (Date.now() < deadline) {
			const rows = await callMethod("frappe.client.get_list", {
				doctype: "Email Queue",
				filters: { reference_doctype: "Sign Request", reference_name: request },
				fields: ["name", "message", "creation"],
				order_by: "creation desc",
				limit_page_length: 20,
			});
			for (const row of rows) {
				const doc = await rest(
					"GET",
					`/api/resource/Email Queue/${encodeURIComponent(row.name)}`
				);
				if (!doc.recipients.some((r) => r.recipient === recipient)) continue;
				const match = decodeMime(row.message || "").match(/\/sign\/([A-Za-z0-9_-]{43})/);
				if (match) return { url: `${BASE}/sign/${match[1]}` };
			}
			await sleep(500);
		}
		throw new Error(`no signing link e-mailed to ${recipient} for ${request}`);
	}

	// ------------------------------------------------------------------ the page

	async function openPage(kind, url, headers = {}, { asUser = false } = {}) {
		const context = await browser.newContext({
			...VIEWPORTS[kind],
			locale: "en-US",
			extraHTTPHeaders: headers,
		});
		if (asUser) {
			// the company signs in its own desk session, never through the link alone
			await login(context.request);
		}
		const page = await context.newPage();
		page.on("pageerror", (e) => pageErrors.push(`${kind}: ${e.message}`));
		page.on("console", (m) => {
			if (m.type() === "error") pageErrors.push(`${kind}: ${m.text()}`);
		});
		const response = await page.goto(url);
		page.statusCode = response.status();
		await page.waitForSelector("#crm-sign");
		return page;
	}

	async function shot(page, name) {
		await page.waitForTimeout(350);
		const file = path.join(SHOTS, name);
		await page.screenshot({ path: file, fullPage: false });
		console.log(`# screenshot ${file}`);
		const overflow = await page.evaluate(
			() => document.documentElement.scrollWidth - window.innerWidth
		);
		assert.ok(overflow <= 0, `${name}: the page scrolls sideways by ${overflow}px`);
		return file;
	}

	/** Walk the guided flow: each field's sheet in turn, until the bar offers "Review and sign". */
	async function fillFields(page, kind, prefix, { typed = false } = {}) {
		const sheet = page.locator(".cs-sheet");
		const seen = new Set();
		for (let step = 0; step < 20; step++) {
			if (!(await sheet.count())) {
				const next = page.locator("#cs-next");
				if ((await next.innerText()).trim() === "Review and sign") return;
				await next.click();
				await sheet.waitFor({ state: "visible" });
			}
			const title = await sheet.locator("h2").innerText();
			const first = !seen.has(title);
			seen.add(title);
			if (await sheet.locator(".cs-pad-canvas").count()) {
				const initials = title === "Your initials";
				if (typed && !initials) {
					await sheet.locator('.cs-tab[data-mode="type"]').click();
					await sheet.locator(".cs-style").nth(1).click();
					if (first) await shot(page, `${prefix}-pad-typed.png`);
				} else {
					await drawOn(page, sheet.locator(".cs-pad-canvas"), initials ? 0.5 : 1);
					if (first)
						await shot(page, `${prefix}-pad-${initials ? "initials" : "drawn"}.png`);
				}
			} else if (await sheet.locator("input[type=checkbox]").count()) {
				await sheet.locator("input[type=checkbox]").check();
				if (first) await shot(page, `${prefix}-field-checkbox.png`);
			} else {
				const input = sheet.locator("#cs-edit");
				if (!(await input.inputValue())) await input.fill("Satın Alma Müdürü");
				if (first)
					await shot(
						page,
						`${prefix}-field-${title.replace(/\W+/g, "-").toLowerCase()}.png`
					);
			}
			await sheet.locator(".cs-sheet-actions .cs-btn-primary").click();
			// the sheet closes, or the next field's sheet replaces it
			await page.waitForFunction((t) => {
				const h = document.querySelector(".cs-sheet h2");
				return !h || h.textContent !== t;
			}, title);
		}
		throw new Error(`${kind}: the guided flow did not finish`);
	}

	async function signDocument(page, kind, prefix, options) {
		await page.waitForSelector(".cs-page img");
		await page.waitForFunction(() => {
			const image = document.querySelector(".cs-page img");
			return image.complete && image.naturalWidth > 100;
		});
		await shot(page, `${prefix}-document.png`);
		await fillFields(page, kind, prefix, options);
		await page.locator(".cs-page").last().scrollIntoViewIfNeeded();
		await shot(page, `${prefix}-fields-filled.png`);
		await page.locator("#cs-next").click(); // "Review and sign" scrolls to the consent
		await page.locator("#cs-consent").check();
		await shot(page, `${prefix}-consent.png`);
		await page.locator("#cs-sign").click();
	}

	before(async () => {
		browser = await launchChromium(crm.playwright);
		admin = await crm.playwright.request.newContext();
		await login(admin);
		await ensureWorker();
		restoreMail = await useTestMail(callMethod);
		pdfUrl = await uploadContract();
	});

	after(async () => {
		await restoreMail().catch((e) =>
			console.log(`# could not restore the e-mail settings: ${e.message}`)
		);
		await admin?.dispose();
		await browser?.close();
		stopStarted();
	});

	for (const kind of Object.keys(VIEWPORTS)) {
		test(`${kind}: company and client sign, the sealed PDF downloads and verifies`, async () => {
			const { request, email } = await newRequest(`happy${kind}`, "Company first", "None");
			// the company signer opens the link from the request's "Sign as company" action
			const companyUrl = await callMethod("crm_sign.api.desk.get_company_signing_link", {
				request,
			});

			// the link names the site's host_name; open it on the server under test
			const companyPath = `${BASE}/sign/${companyUrl.split("/sign/")[1]}`;
			const anonymous = await openPage(kind, companyPath);
			await anonymous.waitForSelector('[data-testid="state-login"]');
			await anonymous.context().close();
			const desk = await openPage(kind, companyPath, {}, { asUser: true });
			await desk.waitForSelector(".cs-page img");
			await signDocument(desk, kind, `${kind}-1-company`, { typed: kind === "phone" });
			await desk.waitForSelector('[data-testid="state-signed"]');
			await shot(desk, `${kind}-1-company-thanks.png`);
			await desk.context().close();

			// the client's invitation is queued once the company has signed
			const client = await linkFromEmail(request, email);
			const page = await openPage(kind, client.url);
			assert.equal(page.statusCode, 200);
			await page.locator(".cs-intro").waitFor();
			assert.match(
				await page.locator(".cs-asks").innerText(),
				/asks you to sign this document/
			);
			await shot(page, `${kind}-2-client-intro.png`);
			await signDocument(page, kind, `${kind}-2-client`, { typed: kind === "desktop" });
			await page.waitForSelector(
				'[data-testid="state-sealing"], [data-testid="state-completed"]'
			);
			await shot(page, `${kind}-2-client-after-sign.png`);
			await page.waitForSelector('[data-testid="state-completed"]', { timeout: 150_000 });
			await shot(page, `${kind}-2-client-completed.png`);

			const [download] = await Promise.all([
				page.waitForEvent("download"),
				page.locator('[data-testid="download"]').click(),
			]);
			const file = path.join(SHOTS, `${kind}-signed-${request}.pdf`);
			await download.saveAs(file);
			const verify = execFileSync(path.join(BENCH, "env/bin/crm-sign"), ["verify", file], {
				encoding: "utf8",
			});
			console.log(verify.replace(/^/gm, "# "));

			const doc = await rest("GET", `/api/resource/Sign Request/${request}`);
			assert.equal(doc.status, "Completed");
			assert.ok(doc.signed_pdf);

			// the switch to Turkish keeps the state
			await page.locator('.cs-lang [data-lang="tr"]').click();
			assert.match(
				await page.locator('[data-testid="state-completed"] h2').innerText(),
				/Herkes imzaladı/
			);
			await shot(page, `${kind}-2-client-completed-tr.png`);
			await page.context().close();
		});

		test(`${kind}: declining needs a reason and closes the link`, async () => {
			const { request, email } = await newRequest(
				`decline${kind}`,
				"Counterparty first",
				"None"
			);
			const link = await linkFromEmail(request, email);
			const page = await openPage(kind, link.url);
			await page.waitForSelector(".cs-page img");
			await page.locator("#cs-decline").scrollIntoViewIfNeeded();
			await page.locator("#cs-decline").click();
			await page.locator("#cs-decline-confirm").click();
			assert.match(await page.locator(".cs-sheet .cs-error").innerText(), /reason/i);
			await page
				.locator("#cs-reason")
				.fill("Ödeme koşulları uygun değil / payment terms do not fit");
			await shot(page, `${kind}-3-decline-reason.png`);
			await page.locator("#cs-decline-confirm").click();
			await page.waitForSelector('[data-testid="state-declined-done"]');
			await shot(page, `${kind}-3-declined.png`);
			const doc = await rest("GET", `/api/resource/Sign Request/${request}`);
			assert.equal(doc.status, "Declined");
			assert.match(doc.declined_reason, /payment terms/);

			await page.reload();
			assert.match(await page.locator(".cs-state-declined").innerText(), /payment terms/);
			await page.context().close();
		});

		test(`${kind}: five wrong codes lock the link`, async () => {
			const { request, email } = await newRequest(
				`code${kind}`,
				"Counterparty first",
				"Email"
			);
			const link = await linkFromEmail(request, email);
			const page = await openPage(kind, link.url);
			await page.waitForSelector('[data-testid="code-step"]');
			await shot(page, `${kind}-4-code.png`);
			await page
				.locator('[data-testid="code-step"] .cs-btn-primary', { hasText: "Send code" })
				.click();
			await page.locator("#cs-code").waitFor({ state: "visible" });
			for (let i = 1; i <= 5; i++) {
				await page.locator("#cs-code").fill("000000");
				await page.locator('.cs-code-form button[type="submit"]').click();
				await page.waitForFunction((n) => {
					const text = document.querySelector('[data-testid="code-step"]').innerText;
					return n < 5 ? text.includes(`${5 - n} tries left`) : text.includes("locked");
				}, i);
				if (i === 1) await shot(page, `${kind}-4-code-wrong.png`);
			}
			await page.locator("#cs-code").waitFor({ state: "hidden" });
			await shot(page, `${kind}-4-code-locked.png`);
			const doc = await rest("GET", `/api/resource/Sign Request/${request}`);
			const row = doc.signers.find((s) => s.signer_role === "Counterparty");
			assert.equal(row.otp_attempts, 5);
			await page.context().close();
		});

		test(`${kind}: an expired link says so`, async () => {
			const { request, email } = await newRequest(
				`expired${kind}`,
				"Counterparty first",
				"None"
			);
			const link = await linkFromEmail(request, email);
			// Time passes on the server: nothing in the desk or the API may change a sent request,
			// so its expiry moves into the past in the database.
			execFileSync(
				BENCH_PYTHON,
				[
					...["-m", "frappe.utils.bench_helper", "frappe", "--site", SITE, "execute"],
					...["frappe.db.set_value", "--args"],
					JSON.stringify(["Sign Request", request, "expires_on", "2020-01-01 00:00:00"]),
				],
				{ cwd: path.join(BENCH, "sites") }
			);
			const page = await openPage(kind, link.url);
			await page.waitForSelector('[data-testid="state-expired"]');
			assert.match(
				await page.locator('[data-testid="state-expired"]').innerText(),
				/expired/
			);
			await shot(page, `${kind}-5-expired.png`);
			await page.context().close();
		});

		test(`${kind}: a wrong link is a 404 page`, async () => {
			// from an address of its own: failed lookups are counted per IP (see signer_session)
			const ip = `10.77.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
			const page = await openPage(kind, `${BASE}/sign/${"x".repeat(43)}`, {
				"X-Forwarded-For": ip,
			});
			assert.equal(page.statusCode, 404);
			await page.waitForSelector('[data-testid="state-invalid"]');
			await shot(page, `${kind}-6-invalid.png`);
			await page.context().close();
		});
	}

	test("no JavaScript errors on the way", () => {
		const relevant = pageErrors.filter(
			(e) =>
				!/favicon|socket\.io|ERR_CONNECTION_REFUSED|status of (404|417|429)|status of 4\d\d|standardFontDataUrl|Warning/i.test(
					e
				)
		);
		assert.deepEqual(relevant, []);
	});
});
