// Line charts with uPlot (vendored: vendor/uplot, MIT).
//
// `lineChart` draws one x axis and one or more series, sizes itself to its container, and
// keeps a short text summary for screen readers, since a canvas says nothing to them.

import uPlot from "../vendor/uplot/uPlot.esm.js";

const COLORS = ["#1f5fa8", "#b3541e", "#2e7d32", "#7b3fa0", "#a01f4d", "#4d6b00"];
const HEIGHT = 220;

// options: {title, xLabel, yLabel, time (x values are Unix seconds), series: [{label}]}
// data: [xs, ys1, ys2, ...]. Returns {element, update(data)}.
export function lineChart(options, data) {
  const figure = document.createElement("figure");
  figure.className = "chart";
  const caption = document.createElement("figcaption");
  caption.textContent = options.title;
  const area = document.createElement("div");
  area.setAttribute("role", "img");
  figure.append(caption, area);

  const config = {
    width: 600,
    height: HEIGHT,
    scales: { x: { time: Boolean(options.time) } },
    axes: [
      { label: options.xLabel || "", stroke: "#333", grid: { stroke: "#e4e4e4" } },
      { label: options.yLabel || "", stroke: "#333", grid: { stroke: "#e4e4e4" }, size: 64 },
    ],
    series: [
      { label: options.xLabel || "x" },
      ...options.series.map((series, index) => ({
        label: series.label,
        stroke: COLORS[index % COLORS.length],
        width: 2,
        points: { show: false },
      })),
    ],
    legend: { show: options.series.length > 1 },
  };
  let plot = null;
  let latest = data;

  function describe(values) {
    const parts = options.series.map((series, index) => {
      const ys = values[index + 1] || [];
      const last = ys.length ? ys[ys.length - 1] : null;
      return `${series.label}: ${last === null || last === undefined ? "no data" : last}`;
    });
    area.setAttribute("aria-label", `${options.title}. Latest ${parts.join("; ")}.`);
  }

  function draw() {
    if (plot) plot.setData(latest);
    else if (area.clientWidth) plot = new uPlot({ ...config, width: area.clientWidth }, latest, area);
  }

  function update(values) {
    latest = values;
    describe(values);
    draw();
  }

  // uPlot needs a width: it draws once the figure is laid out, and follows its size.
  const observer = new ResizeObserver(() => {
    if (!plot) draw();
    else if (area.clientWidth) plot.setSize({ width: area.clientWidth, height: HEIGHT });
  });
  observer.observe(area);
  describe(data);

  return {
    element: figure,
    update,
    destroy() {
      observer.disconnect();
      if (plot) plot.destroy();
    },
  };
}
