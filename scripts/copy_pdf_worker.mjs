// `yarn build`, run by `bench build` after its esbuild pass: copies pdf.js's worker into the app's
// dist/ folder. The worker cannot be an esbuild entry like the library (sign_designer_pdfjs.bundle.js):
// Frappe builds for es2017, and esbuild cannot lower the worker's for-await loops to it. The folder
// carries the version, which the designer reads from the library it loaded, so the two always match.
// ".js", not ".mjs": workers must be served with a JavaScript MIME type, and not every web server in
// front of a bench knows .mjs.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const pkg = require.resolve("pdfjs-dist/package.json");
const { version } = JSON.parse(readFileSync(pkg, "utf8"));
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(root, "crm_sign", "public", "dist", "pdfjs", version);
mkdirSync(target, { recursive: true });
copyFileSync(join(dirname(pkg), "build", "pdf.worker.min.mjs"), join(target, "pdf.worker.min.js"));
console.log(`pdf.js ${version} worker -> ${target}/pdf.worker.min.js`);
