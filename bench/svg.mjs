// Minimal SVG charts, written by the bench itself (no plotting dependency).
const esc = (s) =>
  String(s).replace(
    /[<>&"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c],
  );
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

/** Cumulative distribution of latencies, one line per series. */
export function cdfChart({ title, series, xLabel }) {
  const w = 640,
    h = 360,
    left = 60,
    right = 20,
    top = 40,
    bottom = 50;
  const maxX = Math.max(1, ...series.flatMap((s) => s.values)) * 1.05;
  const x = (v) => left + (v / maxX) * (w - left - right);
  const y = (p) => top + (1 - p) * (h - top - bottom);
  const lines = series.map((s, i) => {
    const pts = s.values
      .map((v, k) => `${x(v).toFixed(1)},${y((k + 1) / s.values.length).toFixed(1)}`)
      .join(' ');
    return (
      `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" points="${pts}"/>` +
      `<text x="${w - right - 150}" y="${top + 18 * (i + 1)}" fill="${COLORS[i % COLORS.length]}" font-size="13">${esc(s.label)}</text>`
    );
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(
    (t) =>
      `<text x="${x(t * maxX)}" y="${h - bottom + 18}" font-size="11" text-anchor="middle">${(t * maxX).toFixed(0)}</text>`,
  );
  const yticks = [0, 0.5, 0.9, 0.99, 1].map(
    (p) =>
      `<text x="${left - 6}" y="${y(p) + 4}" font-size="11" text-anchor="end">p${Math.round(p * 100)}</text><line x1="${left}" x2="${w - right}" y1="${y(p)}" y2="${y(p)}" stroke="#eee"/>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${w / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>
${yticks.join('\n')}
<line x1="${left}" y1="${h - bottom}" x2="${w - right}" y2="${h - bottom}" stroke="#333"/>
<line x1="${left}" y1="${top}" x2="${left}" y2="${h - bottom}" stroke="#333"/>
${ticks.join('\n')}
<text x="${(left + w - right) / 2}" y="${h - 12}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>
${lines.join('\n')}
</svg>
`;
}

/** Horizontal bars, one per row, on a log scale (or a linear one from zero). */
export function barChart({ title, rows, unit, scale = 'log' }) {
  const w = 720,
    rowH = 22,
    left = 260,
    right = 90,
    top = 40;
  const h = top + rows.length * rowH + 30;
  const max = Math.max(...rows.map((r) => r.value));
  const min = Math.min(...rows.map((r) => r.value));
  const lo = Math.log10(min) - 0.3,
    hi = Math.log10(max) + 0.05;
  const len =
    scale === 'linear'
      ? (v) => (v / max) * (w - left - right)
      : (v) => ((Math.log10(v) - lo) / (hi - lo)) * (w - left - right);
  const bars = rows.map((r, i) => {
    const yy = top + i * rowH;
    return (
      `<text x="${left - 8}" y="${yy + 15}" font-size="12" text-anchor="end">${esc(r.label)}</text>` +
      `<rect x="${left}" y="${yy + 3}" width="${len(r.value).toFixed(1)}" height="${rowH - 6}" fill="${COLORS[r.group % COLORS.length]}"/>` +
      `<text x="${left + len(r.value) + 6}" y="${yy + 15}" font-size="11">${esc(r.text ?? `${r.value.toFixed(0)} ${unit}`)}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${w / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>
${bars.join('\n')}
</svg>
`;
}
