// Pflegefinder: the map above the result list (progressive enhancement), "use my location" and the
// print button. Reads its data from the JSON island #care-map-data (no inline script, strict CSP).
// Without Leaflet, without a tile URL or when tiles fail, the list stays complete: nothing here hides it.
(function () {
  "use strict";

  function setupMap() {
    var island = document.getElementById("care-map-data");
    var element = document.getElementById("care-map");
    if (!island || !element || typeof window.L === "undefined") { return; }
    var data;
    try { data = JSON.parse(island.textContent); } catch (e) { return; }
    if (!data.tiles || !data.center) { return; }
    element.hidden = false;
    var L = window.L;
    var labels = data.labels || {};
    var map = L.map(element, { scrollWheelZoom: false, zoomControl: false });
    L.control.zoom({ zoomInTitle: labels.zoom_in || "+", zoomOutTitle: labels.zoom_out || "-" }).addTo(map);
    map.setView(data.center, data.radius_km ? 12 : 15);
    var tiles = L.tileLayer(data.tiles, { attribution: data.attribution, maxZoom: 18 });
    var failed = 0;
    tiles.on("tileerror", function () {
      failed += 1;
      if (failed === 1) { element.setAttribute("data-tiles-failed", "true"); }
    });
    tiles.addTo(map);
    var bounds = [];
    if (data.radius_km) {
      var circle = L.circle(data.center, { radius: data.radius_km * 1000, weight: 1, fill: false });
      circle.addTo(map);
      bounds.push(circle.getBounds());
    }
    var colours = { green: "#1e7d32", yellow: "#f2c200", red: "#b3261e", unknown: "#ffffff" };
    (data.markers || []).forEach(function (m) {
      var marker = L.circleMarker([m.lat, m.lon], {
        radius: 9, color: "#1a1a1a", weight: 2, fillOpacity: 1, fillColor: colours[m.status] || "#ffffff"
      });
      var popup = document.createElement("div");
      var title = m.url ? document.createElement("a") : document.createElement("strong");
      title.textContent = m.name;
      if (m.url) { title.href = m.url; }
      popup.appendChild(title);
      if (m.status_text) {
        popup.appendChild(document.createElement("br"));
        popup.appendChild(document.createTextNode(m.status_text));
      }
      marker.bindPopup(popup);
      marker.bindTooltip(m.name);
      marker.addTo(map);
    });
    if (bounds.length) { map.fitBounds(bounds[0]); }
  }

  function setupLocate() {
    var button = document.getElementById("care-locate");
    if (!button || !navigator.geolocation) { return; }
    var status = document.getElementById("care-locate-status");
    button.parentElement.hidden = false;
    document.getElementById("id_q").addEventListener("input", function () {
      document.getElementById("id_lat").value = "";
      document.getElementById("id_lon").value = "";
    });
    button.addEventListener("click", function () {
      status.textContent = button.getAttribute("data-wait") || "…";
      navigator.geolocation.getCurrentPosition(function (position) {
        document.getElementById("id_lat").value = position.coords.latitude.toFixed(5);
        document.getElementById("id_lon").value = position.coords.longitude.toFixed(5);
        document.getElementById("id_q").value = "";
        button.form.submit();
      }, function () {
        status.textContent = button.getAttribute("data-failed") || "";
      }, { timeout: 10000, maximumAge: 600000 });
    });
  }

  function setupPrint() {
    var button = document.getElementById("care-print");
    if (!button) { return; }
    button.parentElement.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  }

  function start() { setupLocate(); setupPrint(); setupMap(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
