// Calls to crm_sign.api.guest. Every call names the link; the server finds the signer from it and
// the HttpOnly cookie that holds the token.
import { __ } from "./i18n.js";
import { serverMessage } from "./server_message.js";
import { app, boot } from "./state.js";

export const API = "/api/method/crm_sign.api.guest.";

export class ApiError extends Error {
	constructor(status, message) {
		super(message);
		this.status = status;
	}
}

export async function call(method, args) {
	const body = new URLSearchParams({ link: app.link, _lang: app.lang });
	for (const [key, value] of Object.entries(args || {})) {
		body.append(key, typeof value === "string" ? value : JSON.stringify(value));
	}
	let response;
	try {
		response = await fetch(API + method, {
			method: "POST",
			credentials: "same-origin",
			headers: {
				Accept: "application/json",
				"X-Frappe-CSRF-Token": boot.csrf_token || "",
			},
			body,
		});
	} catch (e) {
		throw new ApiError(0, __("Something went wrong. Please try again."));
	}
	let data = {};
	try {
		data = await response.json();
	} catch (e) {
		data = {};
	}
	if (!response.ok) {
		let message = serverMessage(data);
		if (response.status === 429 && !message) {
			message = __("Too many requests. Please wait a few minutes.");
		}
		throw new ApiError(
			response.status,
			message || __("Something went wrong. Please try again.")
		);
	}
	return data.message;
}

// `part`: a document of an envelope (from 1), each sealed as a file of its own.
export function documentUrl(download, part) {
	const params = new URLSearchParams({ link: app.link, _lang: app.lang });
	if (download) params.set("download", "1");
	if (part) params.set("part", String(part));
	return `${API}document?${params}`;
}
