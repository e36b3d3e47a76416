// Draws every [data-chart="echarts"] element from its server-rendered data-option JSON, and redraws
// when hydration or navigation changes the option. ECharts itself is served from /vendor.
(function () {
  "use strict";
  function draw(el) {
    if (!window.echarts) return;
    var option;
    try { option = JSON.parse(el.getAttribute("data-option") || "{}"); } catch (e) { return; }
    var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el, null, { renderer: "canvas" });
    // A new range is a new picture: clear instead of morphing the old series into the new ones.
    chart.clear();
    chart.setOption(option, true);
    el.setAttribute("data-rendered", "true");
  }
  function drawAll(root) {
    (root || document).querySelectorAll('[data-chart="echarts"]').forEach(draw);
  }
  function start() {
    drawAll();
    new MutationObserver(function (mutations) {
      mutations.forEach(function (m) {
        if (m.type === "attributes" && m.target.matches('[data-chart="echarts"]')) draw(m.target);
        m.addedNodes.forEach(function (n) {
          if (n.nodeType !== 1) return;
          if (n.matches('[data-chart="echarts"]')) draw(n); else drawAll(n);
        });
      });
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-option"] });
    window.addEventListener("resize", function () {
      document.querySelectorAll('[data-chart="echarts"]').forEach(function (el) {
        var chart = window.echarts && window.echarts.getInstanceByDom(el);
        if (chart) chart.resize();
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
