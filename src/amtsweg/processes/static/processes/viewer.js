/*
 * Amtsweg process viewer: progressive enhancement of every
 *   <div class="bpmn-viewer" data-bpmn-url="…" data-markers="<id of a json_script>">
 * with bpmn.io's navigated viewer (processes/vendor/bpmn-js, built by `amtsweg build_viewer`).
 * Loads the BPMN XML, draws it, fits it into the box and highlights the markers
 *   {"completed": [ids], "current": [ids], "flows": [ids], "heat": {id: {"level": 0-4, "label": "…"}}}
 * as CSS classes (colours in viewer.css) and overlays. No inline styles or scripts: the page's CSP
 * allows only 'self'. bpmn.io's watermark stays as the viewer draws it (its licence requires that).
 */
(function () {
  "use strict";

  var MARKER_CLASSES = { completed: "aw-completed", current: "aw-current", flows: "aw-taken" };
  var KEY_STEP = 60;

  function text(container, name) {
    return container.getAttribute("data-text-" + name) || "";
  }

  function message(container, value, isError) {
    var output = document.getElementById(container.id + "-message");
    if (!output) {
      return;
    }
    output.textContent = value;
    output.classList.toggle("bpmn-viewer__message--error", Boolean(isError));
  }

  function readMarkers(container) {
    var source = document.getElementById(container.getAttribute("data-markers") || "");
    if (!source) {
      return {};
    }
    try {
      return JSON.parse(source.textContent || "null") || {};
    } catch (error) {
      return {};
    }
  }

  function list(value) {
    return Array.isArray(value) ? value : [];
  }

  function applyMarkers(viewer, container, markers) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");
    var applied = 0;

    Object.keys(MARKER_CLASSES).forEach(function (key) {
      list(markers[key]).forEach(function (id) {
        if (registry.get(id)) {
          canvas.addMarker(id, MARKER_CLASSES[key]);
          applied += 1;
        }
      });
    });
    list(markers.current).forEach(function (id) {
      if (!registry.get(id)) {
        return;
      }
      var badge = document.createElement("span");
      badge.className = "aw-overlay aw-overlay--current";
      badge.textContent = text(container, "current");
      overlays.add(id, "aw-current", { position: { top: -22, left: 0 }, html: badge });
    });
    var heat = markers.heat && typeof markers.heat === "object" ? markers.heat : {};
    Object.keys(heat).forEach(function (id) {
      var entry = heat[id] || {};
      var level = Math.max(0, Math.min(4, parseInt(entry.level, 10) || 0));
      if (!registry.get(id)) {
        return;
      }
      canvas.addMarker(id, "aw-heat");
      canvas.addMarker(id, "aw-heat-" + level);
      applied += 1;
      if (entry.label) {
        var label = document.createElement("span");
        label.className = "aw-overlay aw-overlay--heat";
        label.textContent = String(entry.label);
        overlays.add(id, "aw-heat", { position: { bottom: 4, left: 0 }, html: label });
      }
    });
    container.setAttribute("data-markers-applied", String(applied));
  }

  function bindControls(viewer, container) {
    var canvas = viewer.get("canvas");
    var toolbar = document.querySelector('.bpmn-toolbar[data-for="' + container.id + '"]');
    var zoom = function (how) {
      if (how === "fit") {
        canvas.zoom("fit-viewport", "auto");
      } else {
        var current = canvas.zoom();
        canvas.zoom(how === "in" ? current * 1.25 : current / 1.25);
      }
    };
    if (toolbar) {
      toolbar.hidden = false;
      toolbar.addEventListener("click", function (event) {
        var button = event.target.closest("button[data-zoom]");
        if (button) {
          zoom(button.getAttribute("data-zoom"));
        }
      });
    }
    // The diagram's SVG is the focusable canvas (diagram-js gives it tabindex="0"); name it and let
    // plain arrow keys move it (bpmn-js itself wants Ctrl + arrows), + and − zoom, 0 fits.
    var svg = container.querySelector("svg");
    if (!svg) {
      return;
    }
    svg.setAttribute("role", "group");
    svg.setAttribute("aria-roledescription", "BPMN");
    svg.setAttribute("aria-label", container.getAttribute("data-label") || "");
    var help = document.getElementById(container.id + "-help");
    if (help) {
      help.hidden = false;
      svg.setAttribute("aria-describedby", help.id);
    }
    svg.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) {
        return;
      }
      var moves = {
        ArrowLeft: { dx: KEY_STEP, dy: 0 },
        ArrowRight: { dx: -KEY_STEP, dy: 0 },
        ArrowUp: { dx: 0, dy: KEY_STEP },
        ArrowDown: { dx: 0, dy: -KEY_STEP }
      };
      if (moves[event.key]) {
        canvas.scroll(moves[event.key]);
      } else if (event.key === "+" || event.key === "=") {
        zoom("in");
      } else if (event.key === "-") {
        zoom("out");
      } else if (event.key === "0") {
        zoom("fit");
      } else {
        return;
      }
      event.preventDefault();
    });
  }

  function fail(container, detail) {
    container.setAttribute("data-state", "error");
    container.classList.add("bpmn-viewer--failed");
    message(container, text(container, "error") + (detail ? ": " + detail : "") + ". " + text(container, "steps"), true);
  }

  function render(container) {
    if (container.getAttribute("data-state")) {
      return;
    }
    container.setAttribute("data-state", "loading");
    if (typeof window.BpmnJS !== "function") {
      container.setAttribute("data-state", "unavailable");
      message(container, text(container, "missing") + " " + text(container, "steps"), false);
      return;
    }
    message(container, text(container, "loading"), false);
    var fallback = container.querySelector(".bpmn-viewer__fallback");
    if (fallback) {
      fallback.remove();
    }
    var viewer = new window.BpmnJS({ container: container });
    fetch(container.getAttribute("data-bpmn-url"), {
      credentials: "same-origin",
      headers: { Accept: "application/xml" }
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (xml) {
        return viewer.importXML(xml);
      })
      .then(function (result) {
        viewer.get("canvas").zoom("fit-viewport", "auto");
        applyMarkers(viewer, container, readMarkers(container));
        bindControls(viewer, container);
        var warnings = (result && result.warnings) || [];
        container.setAttribute("data-state", "rendered");
        container.setAttribute("data-warnings", String(warnings.length));
        message(container, warnings.length ? text(container, "warnings") + " (" + warnings.length + ")." : "", false);
      })
      .catch(function (error) {
        viewer.destroy();
        fail(container, error && error.message ? error.message : "");
      });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".bpmn-viewer[data-bpmn-url]"), render);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
