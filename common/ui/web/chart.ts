/**
 * A small SVG line chart: series of values over shared timestamps, a y axis from 0 to the max
 * (or a given max), the max and the time span as labels, and a legend. Built with the SVG DOM
 * (createElementNS), no innerHTML.
 */
import { formatDuration } from './format.ts';

export interface Series {
  readonly name: string;
  readonly values: readonly number[];
  /** A CSS color; the kit's palette by position otherwise. */
  readonly color?: string;
}

export interface ChartOptions {
  readonly times: readonly number[];
  readonly series: readonly Series[];
  readonly width?: number;
  readonly height?: number;
  readonly max?: number;
  readonly format?: (v: number) => string;
  readonly title?: string;
}

const PALETTE = ['#2f6fdf', '#e0892b', '#2ba36b', '#a04fd0', '#d04f6a'];
const NS = 'http://www.w3.org/2000/svg';

function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

export function lineChart(options: ChartOptions): SVGSVGElement {
  const width = options.width ?? 480;
  const height = options.height ?? 160;
  const pad = { left: 44, right: 8, top: 18, bottom: 20 };
  const fmt = options.format ?? ((v: number) => String(Math.round(v * 100) / 100));
  const { times } = options;
  const dataMax = Math.max(0, ...options.series.flatMap((s) => s.values));
  const max = options.max ?? (dataMax > 0 ? dataMax : 1);
  const t0 = times[0] ?? 0;
  const t1 = times[times.length - 1] ?? 0;
  const span = Math.max(1, t1 - t0);
  const x = (t: number) => pad.left + ((t - t0) / span) * (width - pad.left - pad.right);
  const y = (v: number) => pad.top + (1 - Math.min(v, max) / max) * (height - pad.top - pad.bottom);

  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'chart', role: 'img' }) as SVGSVGElement;
  if (options.title) root.appendChild(svg('title', {}, options.title));
  root.appendChild(svg('line', { x1: pad.left, y1: y(0), x2: width - pad.right, y2: y(0), class: 'axis' }));
  root.appendChild(svg('line', { x1: pad.left, y1: y(max), x2: width - pad.right, y2: y(max), class: 'grid' }));
  root.appendChild(svg('text', { x: pad.left - 4, y: y(max) + 4, 'text-anchor': 'end', class: 'label' }, fmt(max)));
  root.appendChild(svg('text', { x: pad.left - 4, y: y(0) + 4, 'text-anchor': 'end', class: 'label' }, '0'));
  root.appendChild(svg('text', { x: width - pad.right, y: height - 4, 'text-anchor': 'end', class: 'label' }, times.length > 1 ? `last ${formatDuration(t1 - t0)}` : 'collecting…'));
  options.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const points = s.values.map((v, j) => `${x(times[j] ?? t0).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    if (s.values.length > 0) root.appendChild(svg('polyline', { points, fill: 'none', stroke: color, 'stroke-width': 1.5, 'data-series': s.name }));
    root.appendChild(svg('rect', { x: pad.left + 4 + i * 90, y: 4, width: 10, height: 10, fill: color }));
    root.appendChild(svg('text', { x: pad.left + 18 + i * 90, y: 13, class: 'label' }, s.name));
  });
  return root;
}
