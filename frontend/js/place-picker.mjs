// The take-call screen's map: choosing a point on it fills in the latitude and longitude, and a
// point already there (typed, or from "Use this place") is shown on it. The two fields stay the
// keyboard's way to give a point, and "Find this address" the usual one; the map is for a caller
// who can only say "by the park, on the north side".
/* global L */
import { forceMap } from "./map-base.mjs";

const element = document.getElementById("pick-map");
const lat = document.getElementById("lat");
const lon = document.getElementById("lon");
const status = document.getElementById("pick-map-status");

function typed() {
  const point = [parseFloat(lat.value), parseFloat(lon.value)];
  return point.every(Number.isFinite) && Math.abs(point[0]) <= 90 && Math.abs(point[1]) <= 180 ? point : null;
}

if (element && lat && lon && typeof L !== "undefined") {
  const start = typed();
  const map = forceMap(element, { fit: !start });
  let marker = null;
  const show = (point) => {
    if (marker) marker.setLatLng(point);
    else marker = L.marker(point, { keyboard: false, title: "The call's map point", alt: "The call's map point" }).addTo(map);
  };
  if (start) {
    show(start);
    map.setView(start, 16);
  }
  map.on("click", (event) => {
    lat.value = event.latlng.lat.toFixed(6);
    lon.value = event.latlng.lng.toFixed(6);
    show(event.latlng);
    if (status) status.textContent = `Map point set to ${lat.value}, ${lon.value}. Choose "Check history at this place" to see what happened there.`;
  });
  for (const field of [lat, lon]) {
    field.addEventListener("change", () => {
      const point = typed();
      if (point) show(point);
    });
  }
  element.dataset.picker = "ready";
}
