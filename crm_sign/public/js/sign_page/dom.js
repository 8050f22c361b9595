// Building the page. All text from the server goes in with textContent, never as HTML.

export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	for (const [key, value] of Object.entries(attrs || {})) {
		if (value === null || value === undefined || value === false) continue;
		if (key === "class") el.className = value;
		else if (key === "text") el.textContent = value;
		else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
		else if (key === "style" && typeof value === "object") Object.assign(el.style, value);
		else el.setAttribute(key, value === true ? "" : value);
	}
	for (const child of children.flat(Infinity)) {
		if (child === null || child === undefined || child === false) continue;
		el.append(child instanceof Node ? child : document.createTextNode(String(child)));
	}
	return el;
}

export function main() {
	return document.getElementById("cs-main");
}

// Replace what the page shows with these nodes.
export function show(...nodes) {
	main().replaceChildren(...nodes.filter(Boolean));
	window.scrollTo(0, 0);
}
