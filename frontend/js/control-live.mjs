// Live control-room screens: one EventSource on /control/live per page. Each element with
// data-live-url is a live region of the page:
//   data-live-refresh  URL of a fragment to fetch again and swap in when a matching change arrives
//   data-live-topics   space-separated topic prefixes that concern it (default: every control.* topic)
//   data-live-incident only changes to this incident concern it
//   data-live-version  the incident version the page shows: a change (other than a log note)
//                      shows a notice to reload before changing anything
//   data-live-every    also refresh every N seconds (ages and time left move on by themselves)
// Changes are announced in the polite #live-announcer region; focus never moves, and a link
// that had focus inside a swapped fragment gets it back. While someone is choosing in a select
// or typing in a field of a region, its refresh waits until they leave that field.
// After each swap the region fires "live:updated" (urgent.mjs and map.mjs listen for it).
const regions = [...document.querySelectorAll("[data-live-url]")];

function announce(text) {
  const announcer = document.getElementById("live-announcer");
  if (!announcer) return;
  announcer.textContent = "";
  window.setTimeout(() => { announcer.textContent = text; }, 50);
}

function concerns(region, change) {
  if (change.topic === "control.resync") return true;
  const incident = region.dataset.liveIncident;
  if (incident && String(change.incident_id) !== incident) return false;
  const topics = (region.dataset.liveTopics || "control.").split(/\s+/).filter(Boolean);
  return topics.some((prefix) => change.topic.startsWith(prefix));
}

const pending = new Map();

function busy(region) {
  const active = document.activeElement;
  return Boolean(active && region.contains(active) && active.matches("select, input:not([type=hidden]), textarea"));
}

async function refresh(region, quietly) {
  const url = region.dataset.liveRefresh;
  if (!url) return;
  if (busy(region)) {
    if (!region.dataset.liveDeferred) {
      region.dataset.liveDeferred = "1";
      region.addEventListener("focusout", () => {
        delete region.dataset.liveDeferred;
        window.setTimeout(() => refresh(region, quietly), 0);
      }, { once: true });
    }
    return;
  }
  const response = await fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" });
  if (!response.ok) return;
  const html = await response.text();
  const focused = region.contains(document.activeElement) ? document.activeElement : null;
  const key = focused && (focused.dataset.rowKey || focused.getAttribute("href"));
  region.innerHTML = html;
  if (key) {
    const again = region.querySelector(`[data-row-key="${CSS.escape(key)}"]`)
      || [...region.querySelectorAll("a[href]")].find((a) => a.getAttribute("href") === key);
    if (again) again.focus({ preventScroll: true });
  }
  if (!quietly) region.dataset.liveUpdated = String(Date.now());
  region.dispatchEvent(new CustomEvent("live:updated", { bubbles: true }));
}

function schedule(region) {
  // Several changes in a burst cause one fetch.
  if (pending.has(region)) return;
  pending.set(region, window.setTimeout(() => {
    pending.delete(region);
    refresh(region, false);
  }, 150));
}

function showChangedNotice(region) {
  if (region.querySelector(".govuk-notification-banner")) return;
  region.innerHTML = `<div class="govuk-notification-banner" role="region" aria-labelledby="live-changed-title">
  <div class="govuk-notification-banner__header"><h2 class="govuk-notification-banner__title" id="live-changed-title">Important</h2></div>
  <div class="govuk-notification-banner__content"><p class="govuk-notification-banner__heading">Someone else changed this incident since you opened it.
  <a class="govuk-notification-banner__link" href="">Reload it</a> before you change anything.</p></div></div>`;
}

function describe(change) {
  const what = change.topic.replace(/^control\./, "").replace(/[._]/g, " ");
  if (change.topic === "control.resync") return "Screen brought up to date.";
  if (change.topic === "control.urgent_assistance.raised") return "Urgent assistance raised.";
  return change.incident_id ? `Incident ${change.incident_id}: ${what}.` : `Update: ${what}.`;
}

if (regions.length && "EventSource" in window) {
  const source = new EventSource(regions[0].dataset.liveUrl);
  source.addEventListener("change", (event) => {
    let change;
    try { change = JSON.parse(event.data); } catch { return; }
    document.dispatchEvent(new CustomEvent("live:change", { detail: change }));
    if (change.topic === "control.positions") return; // the map moves its markers itself
    let touched = false;
    for (const region of regions) {
      if (!concerns(region, change)) continue;
      touched = true;
      if (region.dataset.liveVersion && change.topic !== "control.incident.logged") showChangedNotice(region);
      schedule(region);
    }
    if (touched) announce(describe(change));
  });
  source.addEventListener("open", () => document.body.setAttribute("data-live", "connected"));
  source.addEventListener("error", () => document.body.setAttribute("data-live", "reconnecting"));
  for (const region of regions) {
    const every = Number(region.dataset.liveEvery || 0);
    if (every > 0) window.setInterval(() => refresh(region, true), every * 1000);
  }
}
