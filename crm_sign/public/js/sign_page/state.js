// What the page knows: the server's data (boot) and the signer's progress (app).

// The JSON sign.py writes into #crm-sign-data; read once by start().
export const boot = {};

export const app = {
	// The link's name; the token itself stays in an HttpOnly cookie (see signer_session.py).
	link: "",
	lang: "en",
	page: {}, // what the server said about this link: state, fields, page sizes...
	values: {}, // field name -> text, "1"/"0" or a PNG data URL (initials)
	signature: "", // PNG data URL used for every signature field
	initials: "",
	consent: false,
	codeSentTo: "",
	busy: false,
	polls: 0,
};

export function loadBoot(json) {
	Object.assign(boot, JSON.parse(json));
	app.link = boot.link;
	app.lang = boot.lang;
	app.page = boot.page;
}
