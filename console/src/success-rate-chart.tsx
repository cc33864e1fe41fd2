import type { DeliveryHealth, Webhook } from '@nexus-relay/client';

const WIDTH = 240;
const HEIGHT = 14;

/**
 * Each webhook's share of attempts its endpoint answered 2xx, as a bar (delivered, then failed), drawn as SVG
 * like the hourly chart. Each bar is named by its figures for screen readers; a webhook with no attempt in its
 * recent log has no bar ("no attempts").
 */
export function SuccessRateChart({ webhooks }: { webhooks: readonly (Webhook & { health: DeliveryHealth })[] }) {
  return (
    <figure class="chart rates-chart">
      <ul class="rates">
        {webhooks.map(({ id, url, health }) => {
          const rate = health.successRate;
          const label = rate === undefined ? 'no attempts' : `${rate} % of ${health.attempts} attempts delivered`;
          return (
            <li key={id} data-rate={id}>
              {rate === undefined ? (
                <span class="bar-none" />
              ) : (
                <svg role="img" aria-label={`${url}: ${label}`} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width={WIDTH} height={HEIGHT}>
                  <rect class="delivered" x={0} y={0} width={(WIDTH * rate) / 100} height={HEIGHT} />
                  <rect class="failed" x={(WIDTH * rate) / 100} y={0} width={WIDTH - (WIDTH * rate) / 100} height={HEIGHT} />
                </svg>
              )}
              <span class="rate-label">
                <strong>{rate === undefined ? '–' : `${rate} %`}</strong> <span class="muted wrap">{url}</span>{' '}
                <span class="muted">({rate === undefined ? label : `${health.attempts} attempts`})</span>
              </span>
            </li>
          );
        })}
      </ul>
      <figcaption>Share of attempts delivered (2xx), per webhook, over its last 50 deliveries</figcaption>
    </figure>
  );
}
