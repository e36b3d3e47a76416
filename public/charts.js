// Draws every [data-chart="echarts"] element from its server-rendered data-option JSON, and redraws
// when hydration or navigation changes the option. ECharts (pkg/echarts.js, beside this file) is
// fetched only when a page has a chart, so pages without charts never download it.
(function () {
  "use strict";
  var here = document.currentScript && document.currentScript.src;
  var echartsUrl = here ? here.replace(/[^/]*$/, "echarts.js") : "/pkg/echarts.js";
  var loading = null;
  var selector = '[data-chart="echarts"]';

  function withECharts(then) {
    if (window.echarts) return then();
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = echartsUrl;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    loading.then(then, function () { loading = null; });
  }
  function draw(el) {
    withECharts(function () {
      var option;
      try { option = JSON.parse(el.getAttribute("data-option") || "{}"); } catch (e) { return; }
      var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el, null, { renderer: "canvas" });
      // A new range is a new picture: clear instead of morphing the old series into the new ones.
      chart.clear();
      chart.setOption(option, true);
      el.setAttribute("data-rendered", "true");
    });
  }
  function drawAll(root) {
    (root || document).querySelectorAll(selector).forEach(draw);
  }
  function start() {
    drawAll();
    new MutationObserver(function (mutations) {
      mutations.forEach(function (m) {
        if (m.type === "attributes" && m.target.matches(selector)) draw(m.target);
        m.addedNodes.forEach(function (n) {
          if (n.nodeType !== 1) return;
          if (n.matches(selector)) draw(n); else drawAll(n);
        });
      });
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-option"] });
    window.addEventListener("resize", function () {
      if (!window.echarts) return;
      document.querySelectorAll(selector).forEach(function (el) {
        var chart = window.echarts.getInstanceByDom(el);
        if (chart) chart.resize();
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
