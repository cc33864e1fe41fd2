import type { HourOfAttempts } from './delivery-hours.ts';

const WIDTH = 720;
const HEIGHT = 120;

/**
 * The attempts of the last hours as stacked bars (delivered below, failed above), drawn as SVG: a few rectangles need
 * no chart library in the console's bundle. Named for screen readers by its totals; the same figures are in the
 * delivery logs it summarizes.
 */
export function DeliveryChart({ hours }: { hours: readonly HourOfAttempts[] }) {
  const max = Math.max(1, ...hours.map((hour) => hour.delivered + hour.failed));
  const delivered = hours.reduce((sum, hour) => sum + hour.delivered, 0);
  const failed = hours.reduce((sum, hour) => sum + hour.failed, 0);
  const slot = WIDTH / hours.length;
  const scale = (count: number) => (count / max) * (HEIGHT - 4);
  const summary = `Webhook delivery attempts over the last ${hours.length} hours: ${delivered} delivered, ${failed} failed`;
  return (
    <figure class="chart">
      <svg role="img" aria-label={summary} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width="100%" height={HEIGHT}>
        {hours.map((hour, i) => (
          <g key={hour.hour} data-hour={hour.hour}>
            <rect
              class="delivered"
              x={i * slot + 1}
              y={HEIGHT - scale(hour.delivered)}
              width={slot - 2}
              height={scale(hour.delivered)}
            />
            <rect
              class="failed"
              x={i * slot + 1}
              y={HEIGHT - scale(hour.delivered) - scale(hour.failed)}
              width={slot - 2}
              height={scale(hour.failed)}
            />
          </g>
        ))}
      </svg>
      <figcaption>
        Attempts per hour, last {hours.length} hours (UTC): <span class="legend delivered">{delivered} delivered</span>,{' '}
        <span class="legend failed">{failed} failed</span>
      </figcaption>
    </figure>
  );
}
