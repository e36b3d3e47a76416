// The part of ECharts Tollgate draws with (bar and line charts with tooltip, legend and grid on
// canvas; the card around a chart names it, so no title component), bundled by
// scripts/build-site.sh into the site's pkg/echarts.js: a third of the full build's size. A chart
// option that needs another series type or component must be added here.
import * as echarts from "echarts/core";
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);
window.echarts = echarts;
