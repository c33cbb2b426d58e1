// The urgent-assistance takeover: while an alert is open the server renders a <dialog
// data-urgent-dialog> (non-modal, so the page still works without scripts). Here it becomes a
// modal alert dialog that takes focus (the Acknowledge button), and Escape does not close it:
// it leaves every screen only when someone acknowledges it. Users who cannot acknowledge may
// go back to their screen with the alert kept at the top. control-live.mjs swaps the fragment
// when alerts are raised or acknowledged and fires "live:updated" on the region.
const region = document.getElementById("urgent-assistance");
let minimised = "";

function takeOver() {
  const dialog = region && region.querySelector("[data-urgent-dialog]");
  if (!dialog) {
    document.body.removeAttribute("data-urgent");
    return;
  }
  document.body.setAttribute("data-urgent", dialog.dataset.alerts.trim());
  if (minimised && minimised === dialog.dataset.alerts) return; // same alerts, already seen
  minimised = "";
  dialog.addEventListener("cancel", (event) => event.preventDefault());
  if (typeof dialog.showModal !== "function") return;
  if (dialog.open) dialog.close();
  dialog.showModal();
  const target = dialog.querySelector("[data-urgent-acknowledge]") || dialog.querySelector("#urgent-title");
  if (target) target.focus();
  const minimise = dialog.querySelector("[data-urgent-minimise]");
  if (minimise) {
    minimise.addEventListener("click", () => {
      minimised = dialog.dataset.alerts;
      dialog.close();
      dialog.show(); // stays at the top of the page, no longer modal
      minimise.hidden = true;
      const main = document.getElementById("main-content");
      if (main) { main.setAttribute("tabindex", "-1"); main.focus(); }
    });
  }
}

if (region) {
  region.addEventListener("live:updated", takeOver);
  takeOver();
}
