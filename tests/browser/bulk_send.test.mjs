// Bulk send from the Lead list view: 50 Leads selected, Actions -> Send for signature, a template
// picked; the desk shows a progress bar while the background jobs make the requests, then a summary
// of every Lead, sent (with its request) or refused with the reason (here: two Leads with neither an
// e-mail address nor a mobile number).
//
//   CRM_SIGN_URL=http://127.0.0.1:8000 node --test tests/browser/bulk_send.test.mjs
// Needs a web server and a background worker for the site (`bench serve`, `bench worker`).

import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import {
	BASE,
	contractPdf,
	launchDesk,
	requirePlaywright,
	SHOTS,
	TEMPLATE_FIELDS,
	uploadPrivateFile,
	xcall,
} from "./fixtures.mjs";

const STAMP = Date.now().toString(36);
const LEADS = 50;
const UNREACHABLE = 2; // the last two Leads have no e-mail and no mobile
const COMPANY = `Bulk Renewal ${STAMP}`;
const playwright = await requirePlaywright();

describe("bulk send from the Lead list", { timeout: 600_000 }, () => {
	let browser;
	let page;
	let template;
	let leads;
	const pageErrors = [];

	before(async () => {
		({ browser, desk: page } = await launchDesk(playwright, pageErrors));
		const fileUrl = await uploadPrivateFile(page, contractPdf(), "bulk.pdf");
		template = await xcall(page, "frappe.client.insert", {
			doc: {
				doctype: "Sign Template",
				template_name: `Renewal ${STAMP}`,
				reference_doctype: "Lead",
				source_type: "Uploaded PDF",
				pdf_file: fileUrl,
				channel: "Email",
				fields: TEMPLATE_FIELDS,
			},
		});
		const docs = Array.from({ length: LEADS }, (_, i) => ({
			doctype: "Lead",
			first_name: `Bulk ${String(i + 1).padStart(2, "0")}`,
			last_name: STAMP,
			company_name: COMPANY,
			email_id: i < LEADS - UNREACHABLE ? `bulk.${i}.${STAMP}@example.com` : null,
		}));
		await xcall(page, "frappe.client.insert_many", { docs: JSON.stringify(docs) });
		leads = (
			await xcall(page, "frappe.client.get_list", {
				doctype: "Lead",
				filters: { company_name: COMPANY },
				fields: ["name", "email_id"],
				limit_page_length: 0,
			})
		).map((row) => row);
		assert.equal(leads.length, LEADS);
	});

	after(async () => {
		await browser?.close();
	});

	test("Actions -> Send for signature sends 48, refuses 2 with their reason", async () => {
		await page.goto(`${BASE}/app/lead?company_name=${encodeURIComponent(COMPANY)}`);
		await page.waitForSelector(".list-row-container .list-row-checkbox", { timeout: 60_000 });
		// Show all 50 on one page, then select them all.
		await page.click('.list-paging-area .btn-paging[data-value="100"]');
		await page.waitForFunction(
			(n) =>
				document.querySelectorAll(".list-row-container .list-row-checkbox").length === n,
			LEADS,
			{ timeout: 30_000 }
		);
		await page.check(".list-check-all");
		await page.click(".actions-btn-group > button");
		await page.click(`.actions-btn-group .dropdown-menu a:has-text("Send for signature")`);

		const dialog = page.locator(".crm-sign-bulk-dialog");
		await dialog.waitFor({ state: "visible" });
		await dialog.locator('select[data-fieldname="template"]').selectOption(template.name);
		await dialog.locator(".btn-primary", { hasText: `${LEADS}` }).click();

		const progress = page.locator(".modal:visible .progress-bar");
		await progress.waitFor({ state: "visible", timeout: 30_000 });
		const progressShot = path.join(SHOTS, "bulk-send-progress.png");
		await page.screenshot({ path: progressShot });
		console.log(`# screenshot ${progressShot}`);

		const summary = page.locator(".crm-sign-bulk-summary");
		await summary.waitFor({ state: "visible", timeout: 480_000 });
		const summaryShot = path.join(SHOTS, "bulk-send-summary.png");
		await page.screenshot({ path: summaryShot });
		console.log(`# screenshot ${summaryShot}`);

		const rows = await summary.locator("tbody tr").evaluateAll((trs) =>
			trs.map((tr) => ({
				name: tr.dataset.record,
				status: tr.dataset.status,
				text: tr.textContent.replace(/\s+/g, " ").trim(),
			}))
		);
		assert.equal(rows.length, LEADS);
		const refused = rows.filter((row) => row.status === "Refused");
		assert.equal(rows.filter((row) => row.status === "Sent").length, LEADS - UNREACHABLE);
		assert.deepEqual(
			refused.map((row) => row.name).sort(),
			leads
				.filter((lead) => !lead.email_id)
				.map((lead) => lead.name)
				.sort()
		);
		for (const row of refused) assert.match(row.text, /e-mail/i, row.text);
		assert.match(
			await summary.locator(".crm-sign-bulk-totals").textContent(),
			new RegExp(`${LEADS - UNREACHABLE} sent, ${UNREACHABLE} refused`)
		);

		// What the server holds agrees: one Sent request per reachable Lead, none for the others.
		const requests = await xcall(page, "frappe.client.get_list", {
			doctype: "Sign Request",
			filters: { template: template.name },
			fields: ["reference_name", "status"],
			limit_page_length: 0,
		});
		assert.equal(requests.length, LEADS - UNREACHABLE);
		assert.ok(requests.every((r) => r.status === "Sent"));
		assert.equal(new Set(requests.map((r) => r.reference_name)).size, LEADS - UNREACHABLE);
		assert.deepEqual(pageErrors, []);
	});
});
