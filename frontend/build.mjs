// Builds bluelamp's front-end assets into build/static (git-ignored): Sass for the public
// (GOV.UK Frontend) and staff (MoJ Frontend) styles, plus copies of the vendored scripts,
// fonts and images, so that nothing is fetched from a CDN at run time.
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const out = join(root, "build", "static");

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "css"), { recursive: true });

for (const name of ["public", "staff", "api-docs"]) {
  const result = sass.compile(join(root, "frontend", "scss", `${name}.scss`), {
    loadPaths: [modules, root],
    style: "compressed",
    quietDeps: true,
    logger: sass.Logger.silent, // dependency style warnings only; errors still throw
    silenceDeprecations: ["import", "global-builtin"],
  });
  writeFileSync(join(out, "css", `${name}.css`), result.css);
}

const copies = {
  "govuk-frontend/dist/govuk/assets": "assets",
  "@ministryofjustice/frontend/moj/assets/images": "assets/images",
  "govuk-frontend/dist/govuk/govuk-frontend.min.js": "vendor/govuk-frontend.min.js",
  "@ministryofjustice/frontend/moj/moj-frontend.min.js": "vendor/moj-frontend.min.js",
  "htmx.org/dist/htmx.min.js": "vendor/htmx.min.js",
  "leaflet/dist/leaflet.js": "vendor/leaflet/leaflet.js",
  "leaflet/dist/leaflet.css": "vendor/leaflet/leaflet.css",
  "leaflet/dist/images": "vendor/leaflet/images",
};
for (const [from, to] of Object.entries(copies)) {
  cpSync(join(modules, from), join(out, to), { recursive: true });
}
cpSync(join(root, "frontend", "js"), join(out, "js"), { recursive: true });
console.log(`front-end assets built in ${out}`);
