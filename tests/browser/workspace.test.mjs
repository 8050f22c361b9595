// Browser test of the CRM Sign workspace: the four Number Cards under "Signatures at a Glance" render
// and show the numbers their own filters give (they stood as an empty space after install-app: the
// workspace's blocks named the cards, while Frappe finds a block's card by its row label).
//
//   CRM_SIGN_URL=http://127.0.0.1:8000 node --test tests/browser/workspace.test.mjs

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { BASE, launchChromium, login, requirePlaywright, SHOTS } from "./fixtures.mjs";

const CARDS = {
	"Waiting for Us": "Sign Requests Waiting for Us",
	"Waiting for the Customer": "Sign Requests Waiting for Customer",
	"Completed This Month": "Sign Requests Completed This Month",
	"Declined This Month": "Sign Requests Declined This Month",
};

const playwright = await requirePlaywright();

describe("the CRM Sign workspace", { timeout: 180_000 }, () => {
	let browser;
	let page;
	const pageErrors = [];

	before(async () => {
		mkdirSync(SHOTS, { recursive: true });
		browser = await launchChromium(playwright);
		page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
		page.on("pageerror", (e) => pageErrors.push(e.message));
		await login(page.request);
	});

	after(async () => {
		await browser?.close();
	});

	test("shows the four Number Cards with the counts of their own filters", async () => {
		await page.goto(`${BASE}/app/crm-sign`);
		await page.waitForFunction(
			(count) =>
				[
					...document.querySelectorAll(".number-widget-box .widget-content .number"),
				].filter((n) => /\d/.test(n.textContent)).length >= count,
			Object.keys(CARDS).length,
			{ timeout: 60_000 }
		);
		const shown = await page.evaluate(() =>
			Object.fromEntries(
				[...document.querySelectorAll(".number-widget-box")].map((box) => [
					box.querySelector(".widget-title")?.textContent.trim(),
					box.querySelector(".widget-content .number")?.textContent.trim(),
				])
			)
		);
		const file = path.join(SHOTS, "workspace-number-cards.png");
		await page.screenshot({ path: file });
		console.log(`# screenshot ${file}`);

		for (const [label, card] of Object.entries(CARDS)) {
			assert.ok(
				label in shown,
				`"${label}" is on the workspace (shown: ${JSON.stringify(shown)})`
			);
			const expected = await page.evaluate(async (name) => {
				const doc = await frappe.xcall("frappe.client.get", {
					doctype: "Number Card",
					name,
				});
				// Counted independently: the distinct requests the card's own filters select.
				const rows = await frappe.xcall("frappe.client.get_list", {
					doctype: doc.document_type,
					filters: JSON.parse(doc.filters_json || "[]"),
					fields: ["name"],
					limit_page_length: 0,
				});
				return new Set(rows.map((row) => row.name)).size;
			}, card);
			assert.equal(
				Number(shown[label].replace(/[^\d]/g, "")),
				expected,
				`${label}: ${shown[label]}`
			);
		}
		assert.deepEqual(pageErrors, []);
	});
});
