// The control-room map (Leaflet, served from our own origin). It draws the force's borough and
// BCU boundaries, open incidents (labelled with their grade and reference: never colour alone)
// and units with a position (call sign and status code), and follows the live feed:
//  - the list beside the map (#map-list) is swapped by control-live.mjs; its #map-data JSON
//    redraws the markers;
//  - "control.positions" notices move unit markers at once;
//  - selecting an incident (list link or marker) fetches its recommended units into
//    #map-selection and highlights them; "A" assigns the top one while focus is on the map or
//    the side panel (a shortcut only active there, as WCAG 2.1.4 allows).
// Without this script the list and the selection still work as ordinary links and forms.
/* global L */
import { forceMap } from "./map-base.mjs";

const element = document.getElementById("map");
const selection = document.getElementById("map-selection");
const list = document.getElementById("map-list");

function text(tag, className, content) {
  const node = document.createElement(tag);
  node.className = className;
  node.textContent = content;
  return node;
}

function label(html, className, title) {
  // divIcon with text built from DOM nodes, never from strings of HTML.
  const node = text("span", `bl-map-label ${className}`, html);
  node.title = title;
  return L.divIcon({ html: node, className: "", iconSize: null });
}

function readData() {
  const found = document.getElementById("map-data");
  if (!found) return { incidents: [], units: [] };
  try { return JSON.parse(found.textContent); } catch { return { incidents: [], units: [] }; }
}

if (element && typeof L !== "undefined") {
  const map = forceMap(element, { bcu: element.dataset.bcu || "" });
  const incidents = L.layerGroup().addTo(map);
  const units = L.layerGroup().addTo(map);
  const unitMarkers = new Map();
  let recommended = new Set();
  let unitsById = new Map();

  function unitIcon(unit) {
    const stale = unit.stale ? " bl-map-label--stale" : "";
    const chosen = recommended.has(String(unit.id)) ? " bl-map-label--recommended" : "";
    const words = `${unit.call_sign} ${unit.status}${unit.stale ? " ?" : ""}`;
    const title = `${unit.call_sign}: ${unit.type}, ${unit.status_label}${unit.stale ? ", position out of date" : ""}${chosen ? ", recommended" : ""}`;
    return label(words, stale + chosen, title);
  }

  function drawUnit(unit) {
    if (unit.lat == null || unit.lon == null) return;
    let marker = unitMarkers.get(String(unit.id));
    if (!marker) {
      marker = L.marker([unit.lat, unit.lon], { icon: unitIcon(unit), keyboard: true, title: unit.call_sign, alt: unit.call_sign });
      marker.on("click", () => {
        const query = unit.bcu ? `?bcu=${encodeURIComponent(unit.bcu)}` : "";
        window.location.href = `${element.dataset.unitsUrl}${query}#unit-${unit.id}`;
      });
      marker.addTo(units);
      unitMarkers.set(String(unit.id), marker);
    } else {
      marker.setLatLng([unit.lat, unit.lon]);
      marker.setIcon(unitIcon(unit));
    }
  }

  function draw() {
    const data = readData();
    incidents.clearLayers();
    units.clearLayers();
    unitMarkers.clear();
    unitsById = new Map(data.units.map((u) => [String(u.id), u]));
    for (const incident of data.incidents) {
      if (incident.lat == null || incident.lon == null) continue;
      const grade = incident.grade || "?";
      const marker = L.marker([incident.lat, incident.lon], {
        icon: label(`${grade} ${incident.reference.replace(/^CAD /, "")}`, `bl-map-label--${grade}`, `${incident.reference}, grade ${grade}, ${incident.status_label}`),
        keyboard: true,
        title: incident.reference,
        alt: incident.reference,
        zIndexOffset: grade === "I" ? 1000 : 0,
      });
      marker.on("click", () => select(incident.id));
      marker.addTo(incidents);
    }
    for (const unit of data.units) drawUnit(unit);
  }

  function highlight() {
    const panel = selection && selection.querySelector("[data-selected-incident]");
    recommended = new Set(panel ? panel.dataset.recommended.trim().split(/\s+/).filter(Boolean) : []);
    for (const [id, marker] of unitMarkers) {
      const unit = unitsById.get(id);
      if (unit) marker.setIcon(unitIcon(unit));
    }
    document.body.setAttribute("data-recommended", [...recommended].join(" "));
  }

  async function select(id) {
    if (!selection) return;
    const params = new URLSearchParams(window.location.search);
    params.set("incident", String(id));
    params.delete("fragment");
    const page = `${element.dataset.pageUrl}?${params}`;
    params.set("fragment", "selection");
    const url = `${element.dataset.pageUrl}?${params}`;
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) return;
    selection.innerHTML = await response.text();
    selection.dataset.liveRefresh = url;
    window.history.replaceState(null, "", page);
    for (const link of document.querySelectorAll("[data-select-incident]")) {
      const current = link.dataset.selectIncident === String(id);
      link.parentElement.classList.toggle("bl-selected", current);
      if (current) link.setAttribute("aria-current", "true"); else link.removeAttribute("aria-current");
    }
    highlight();
    const title = selection.querySelector("#selected-title");
    if (title) title.focus();
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("[data-select-incident]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    select(link.dataset.selectIncident);
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "a" && event.key !== "A") return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const active = document.activeElement;
    if (active && active.matches("input, select, textarea")) return;
    const inside = active && (element.contains(active) || active.closest(".bl-map-list"));
    if (!inside) return;
    const top = selection && selection.querySelector("[data-assign-top]");
    if (!top) return;
    event.preventDefault();
    top.click();
  });

  document.addEventListener("live:change", (event) => {
    const change = event.detail;
    if (change.topic !== "control.positions" || !change.positions) return;
    for (const point of change.positions) {
      const unit = unitsById.get(String(point.unit_id));
      if (!unit) continue;
      Object.assign(unit, { lat: point.lat, lon: point.lon, at: point.at, stale: point.stale });
      drawUnit(unit);
    }
  });

  if (list) list.addEventListener("live:updated", () => { draw(); highlight(); });
  if (selection) selection.addEventListener("live:updated", highlight);
  draw();
  highlight();
  document.body.setAttribute("data-map", "ready");
}
