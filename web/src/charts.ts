// Bar charts drawn as inline SVG by this code (nothing from outside: the page works offline).
// One shape serves the page: groups of horizontal bars — a unit's periods (on-time rate), a
// level's or a unit's count before and after (compare). Every bar carries its numbers as data
// attributes (data-group, data-bar, data-value) and shows its value as text; the chart has a
// title and, per bar, a <title> naming group, bar and value.

const SVG = "http://www.w3.org/2000/svg";

export interface Bar {
  label: string; // e.g. "2024-Q1", or "A"
  value: number | null; // null: nothing to draw (e.g. no case decided: no rate)
  kind?: string; // a class for the bar's colour (e.g. "a", "b")
}

export interface BarGroup {
  label: string;
  bars: Bar[];
}

export interface ChartOptions {
  title: string;
  max?: number; // the scale's end (default: the largest value)
  format?: (v: number) => string; // the value as shown
  legend?: { kind: string; label: string }[];
  className?: string;
}

const GROUP_W = 150; // the group's label
const BAR_LABEL_W = 74; // the bar's own label
const BAR_W = 300; // the longest bar
const VALUE_W = 64; // the value after the bar
const ROW_H = 18;
const BAR_H = 13;
const GROUP_GAP = 8;
const TOP = 22; // the legend's line

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Width in half-width columns (a CJK character counts 2), for cutting long labels. */
function columns(text: string): number {
  let n = 0;
  for (const ch of text) n += /[\u1100-\uffff]/.test(ch) ? 2 : 1;
  return n;
}

function cut(text: string, width: number): string {
  if (columns(text) <= width) return text;
  let out = "";
  for (const ch of text) {
    if (columns(out + ch) > width - 1) break;
    out += ch;
  }
  return `${out}…`;
}

/** The scale's end and step: the end rounded up to a step of 1, 2 or 5 × 10ⁿ (at most five
 *  steps; whole numbers, so that counts are never shown as fractions). */
export function scale(most: number): { max: number; step: number } {
  const rough = Math.max(most, 1) / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, [1, 2, 5, 10].map((f) => f * power).find((s) => s >= rough) ?? 10 * power);
  return { max: Math.ceil(most / step) * step || step, step };
}

/** A chart of groups of horizontal bars, as an <svg> element. */
export function barChart(groups: BarGroup[], options: ChartOptions): SVGSVGElement {
  const format = options.format ?? ((v: number) => String(v));
  const values = groups.flatMap((g) => g.bars.map((b) => b.value ?? 0));
  const { max, step } = scale(options.max ?? Math.max(1, ...values));
  const rows = groups.reduce((n, g) => n + Math.max(1, g.bars.length), 0);
  const width = GROUP_W + BAR_LABEL_W + BAR_W + VALUE_W;
  const height = TOP + rows * ROW_H + Math.max(0, groups.length - 1) * GROUP_GAP + 20;
  const svg = el("svg", {
    viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
    class: `chart-svg ${options.className ?? ""}`.trim(), "aria-label": options.title,
  });
  svg.append(el("title", {}, options.title));
  const x0 = GROUP_W + BAR_LABEL_W;
  // the scale: 0 to the end in round steps
  const axis = el("g", { class: "axis" });
  for (let v = 0; v <= max + step / 2; v += step) {
    const x = x0 + (BAR_W * v) / max;
    axis.append(el("line", { x1: x, x2: x, y1: TOP - 4, y2: height - 16, class: v ? "grid" : "base" }));
    axis.append(el("text", { x, y: height - 4, "text-anchor": "middle", class: "tick" }, format(v)));
  }
  svg.append(axis);
  if (options.legend) {
    let x = x0;
    const legend = el("g", { class: "legend" });
    for (const item of options.legend) {
      legend.append(el("rect", { x, y: 4, width: 12, height: 12, class: `bar ${item.kind}` }));
      const text = el("text", { x: x + 16, y: 14 }, item.label);
      legend.append(text);
      x += 28 + columns(item.label) * 7;
    }
    svg.append(legend);
  }
  let y = TOP;
  for (const group of groups) {
    const g = el("g", { class: "group", "data-group": group.label });
    const label = el("text", { x: 0, y: y + BAR_H - 2, class: "group-label" }, cut(group.label, 20));
    label.append(el("title", {}, group.label));
    g.append(label);
    for (const bar of group.bars.length ? group.bars : [{ label: "", value: null }]) {
      const shown = bar.value == null ? "—" : format(bar.value);
      g.append(el("text", { x: GROUP_W, y: y + BAR_H - 2, class: "bar-label" }, cut(bar.label, 10)));
      const w = bar.value == null ? 0 : Math.max(bar.value > 0 ? 1 : 0, (BAR_W * Math.min(bar.value, max)) / max);
      const rect = el("rect", {
        x: x0, y, width: w.toFixed(1), height: BAR_H, class: `bar ${bar.kind ?? ""}`.trim(),
        "data-group": group.label, "data-bar": bar.label, "data-value": bar.value == null ? "" : bar.value,
      });
      rect.append(el("title", {}, `${group.label} · ${bar.label}: ${shown}`));
      g.append(rect);
      g.append(el("text", {
        x: x0 + w + 4, y: y + BAR_H - 2, class: "value", "data-group": group.label, "data-bar": bar.label,
      }, shown));
      y += ROW_H;
    }
    y += GROUP_GAP;
    svg.append(g);
  }
  return svg;
}
