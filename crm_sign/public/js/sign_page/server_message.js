// The text of Frappe's _server_messages, for the guest pages that show it.
export function serverMessage(data) {
	try {
		const messages = JSON.parse(data._server_messages || "[]").map((m) => {
			const parsed = typeof m === "string" ? JSON.parse(m) : m;
			return typeof parsed === "string" ? parsed : parsed.message;
		});
		const text = messages.filter(Boolean).join(" ");
		if (text) {
			// messages are plain text, but may carry <b> from frappe.bold: keep the text only.
			// DOMParser's document is inert (no script runs, no image loads), unlike a <div>.
			return new DOMParser().parseFromString(text, "text/html").body.textContent;
		}
	} catch (e) {
		/* fall through */
	}
	return "";
}
