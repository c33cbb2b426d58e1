// Initialise GOV.UK Frontend and MoJ Frontend components. Loaded as a module file, never
// inline, so the Content-Security-Policy can forbid inline scripts.
import { initAll as initGovuk } from "/static/vendor/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initGovuk();
