// Starts Redoc on /api/v1/docs from a file, not an inline script, so the page keeps a strict CSP.
(function () {
  var element = document.getElementById("redoc-ui");
  var settings = JSON.parse(document.getElementById("redoc-settings").textContent);
  window.Redoc.init(element.dataset.openapiUrl, settings, element);
})();
