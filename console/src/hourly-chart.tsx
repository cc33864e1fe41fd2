/** One series of an hourly chart: its field in each hour, its words, and its colour (a CSS class). */
export interface Series<K extends string> {
  key: K;
  label: string;
}

const WIDTH = 720;
const HEIGHT = 120;

/**
 * Counts per hour as stacked bars (the first series at the bottom), drawn as SVG: a few rectangles need no chart
 * library in the console's bundle. Named for screen readers by its totals, which the caption repeats with a legend.
 * `name` tells the charts of one page apart (a class of the figure).
 */
export function HourlyChart<K extends string>(props: {
  name: string;
  what: string;
  hours: readonly ({ hour: string } & Record<K, number>)[];
  series: readonly Series<K>[];
}) {
  const { name, what, hours, series } = props;
  const totalOf = (hour: Record<K, number>) => series.reduce((sum, { key }) => sum + hour[key], 0);
  const max = Math.max(1, ...hours.map(totalOf));
  const totals = series.map(({ key, label }) => ({ key, label, total: hours.reduce((sum, hour) => sum + hour[key], 0) }));
  const slot = WIDTH / Math.max(1, hours.length);
  const scale = (count: number) => (count / max) * (HEIGHT - 4);
  const summary = `${what} over the last ${hours.length} hours: ${totals.map((t) => `${t.total} ${t.label}`).join(', ')}`;
  return (
    <figure class={`chart ${name}`}>
      <svg role="img" aria-label={summary} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width="100%" height={HEIGHT}>
        {hours.map((hour, i) => {
          let top = HEIGHT;
          return (
            <g key={hour.hour} data-hour={hour.hour}>
              {series.map(({ key }) => {
                const height = scale(hour[key]);
                top -= height;
                return <rect key={key} class={key} x={i * slot + 1} y={top} width={slot - 2} height={height} />;
              })}
            </g>
          );
        })}
      </svg>
      <figcaption>
        {what} per hour, last {hours.length} hours (UTC):{' '}
        {totals.map((t, i) => (
          <span key={t.key}>
            {i > 0 && ', '}
            <span class={`legend ${t.key}`}>
              {t.total} {t.label}
            </span>
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
