// What every control-room map starts from (Leaflet, served from our own origin): London, the
// tiles when a tile server is configured (BLUELAMP_MAP_TILE_URL), and the force's borough and BCU
// boundaries (data-boundaries-url), fitted to the BCU in data-bcu or to the whole force.
/* global L */

export function forceMap(element, { bcu = "", fit = true } = {}) {
  const map = L.map(element, { keyboard: true, zoomSnap: 0.5, attributionControl: Boolean(element.dataset.tileUrl) });
  map.setView([51.5074, -0.1278], 10);
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, { attribution: element.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
  }
  fetch(element.dataset.boundariesUrl, { credentials: "same-origin" })
    .then((response) => (response.ok ? response.json() : null))
    .then((collection) => {
      if (!collection) return;
      const shown = collection.features.filter((f) => !bcu || f.properties.code === bcu || f.properties.bcu === bcu);
      const layer = L.geoJSON(shown, {
        style: (feature) => (feature.properties.kind === "bcu"
          ? { color: "#0b0c0c", weight: 3, fill: false }
          : { color: "#505a5f", weight: 1, fillColor: "#f3f2f1", fillOpacity: 0.4 }),
        interactive: false,
      }).addTo(map);
      layer.bringToBack();
      const bounds = layer.getBounds();
      if (fit && bounds.isValid()) map.fitBounds(bounds);
    });
  return map;
}
