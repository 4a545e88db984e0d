/** One line of the picture. */
export interface LatencySeries {
  /** Legend text. */
  label: string;
  /** Latencies, ms. */
  samples: readonly number[];
  p50Ms: number;
  p99Ms: number;
  /** Stroke colour. */
  color: string;
  /** SVG `stroke-dasharray`, '' for a solid line. */
  dash: string;
}

/** Line colours: this library, the baseline, this library interleaved with the floor, the floor. */
export const SERIES_COLORS = {
  ours: '#1f6fb4',
  baseline: '#d0461f',
  oursInterleaved: '#7fb3e0',
  floor: '#555555',
} as const;
/** Dash patterns by size rank (smallest size first). */
export const SERIES_DASHES = ['7 4', '', '2 3', '10 3 2 3'] as const;

const WIDTH = 960;
const HEIGHT = 480;
const MARGIN = { left: 70, right: 280, top: 50, bottom: 60 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;
/** x axis: "nines", -log10(1 - q); 3 = 99.9th percentile. */
const X_MAX = 3;
const X_TICKS: Array<[number, string]> = [
  [0, '0%'],
  [Math.log10(2), '50%'],
  [1, '90%'],
  [2, '99%'],
  [3, '99.9%'],
];

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (value: number): string => value.toFixed(1);

/** Decades of the y axis (log10 ms) covering every sample. */
function yRange(series: readonly LatencySeries[]): [number, number] {
  const values = series.flatMap((line) => line.samples).filter((v) => v > 0);
  const low = Math.floor(Math.log10(Math.min(0.1, ...values)));
  const high = Math.ceil(Math.log10(Math.max(10, ...values)));
  return [low, high];
}

/**
 * Draws the latency distributions as a percentile plot (HdrHistogram style): x is the percentile on a
 * "nines" scale (50%, 90%, 99%, 99.9%), y the latency on a log scale, one line per series, with the
 * issue's targets (0.3 ms at p50, 1 ms at p99) as dashed guides. A hand-written SVG, no dependencies.
 *
 * @param series - the lines to draw.
 * @param title - the heading.
 * @returns the SVG document.
 */
export function renderLatencySvg(series: readonly LatencySeries[], title: string): string {
  const [yLow, yHigh] = yRange(series);
  const x = (nines: number): number => MARGIN.left + (Math.min(nines, X_MAX) / X_MAX) * PLOT_W;
  const y = (ms: number): number =>
    MARGIN.top + PLOT_H - ((Math.log10(Math.max(ms, 10 ** yLow)) - yLow) / (yHigh - yLow)) * PLOT_H;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="24" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  );
  // Grid and axes.
  for (let decade = yLow; decade <= yHigh; decade++) {
    const value = 10 ** decade;
    const label = value >= 1 ? `${value.toLocaleString('en-US')} ms` : `${value} ms`;
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${num(y(value))}" y2="${num(y(value))}" stroke="#e4e4e4"/>`,
      `<text x="${MARGIN.left - 6}" y="${num(y(value) + 4)}" text-anchor="end" fill="#444">${label}</text>`,
    );
  }
  for (const [nines, label] of X_TICKS) {
    parts.push(
      `<line x1="${num(x(nines))}" x2="${num(x(nines))}" y1="${MARGIN.top}" y2="${MARGIN.top + PLOT_H}" stroke="#e4e4e4"/>`,
      `<text x="${num(x(nines))}" y="${MARGIN.top + PLOT_H + 18}" text-anchor="middle" fill="#444">${label}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${PLOT_W}" height="${PLOT_H}" fill="none" stroke="#888"/>`,
    `<text x="${MARGIN.left + PLOT_W / 2}" y="${HEIGHT - 18}" text-anchor="middle" fill="#222">percentile of aborts</text>`,
    `<text transform="translate(16 ${MARGIN.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle" fill="#222">abort() in client to teardown in worker (log)</text>`,
  );
  // Targets.
  for (const [ms, label] of [
    [0.3, 'target p50 < 0.3 ms'],
    [1, 'target p99 < 1 ms'],
  ] as const) {
    if (Math.log10(ms) < yLow || Math.log10(ms) > yHigh) continue;
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${num(y(ms))}" y2="${num(y(ms))}" stroke="#2a9d3a" stroke-dasharray="5 4"/>`,
      `<text x="${MARGIN.left + PLOT_W - 4}" y="${num(y(ms) - 4)}" text-anchor="end" fill="#2a9d3a">${escapeXml(label)}</text>`,
    );
  }
  // One line per series.
  series.forEach((line, index) => {
    const sorted = [...line.samples].sort((a, b) => a - b);
    const n = sorted.length;
    if (n === 0) return;
    const points = sorted.map((ms, i) => `${num(x(-Math.log10(1 - i / n)))},${num(y(ms))}`);
    const dash = line.dash ? `stroke-dasharray="${line.dash}" ` : '';
    parts.push(
      `<polyline fill="none" stroke="${line.color}" stroke-width="2" ${dash}points="${points.join(' ')}"/>`,
    );
    const legendY = MARGIN.top + 14 + index * 40;
    const legendX = MARGIN.left + PLOT_W + 16;
    parts.push(
      `<line x1="${legendX}" x2="${legendX + 28}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${line.color}" stroke-width="2" ${dash}/>`,
      `<text x="${legendX + 34}" y="${legendY}" fill="#222">${escapeXml(line.label)}</text>`,
      `<text x="${legendX + 34}" y="${legendY + 15}" fill="#555">p50 ${line.p50Ms.toFixed(3)}  p99 ${line.p99Ms.toFixed(3)} ms</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
