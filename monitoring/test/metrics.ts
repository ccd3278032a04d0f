/**
 * The metric families the services expose (@ai-teams/otel-metrics, Prometheus names: counters
 * end in `_total`, histograms are `_bucket`/`_sum`/`_count`) and each one's labels. Dashboards
 * and alert rules may only use these names and labels.
 */
const FAMILIES: Record<string, string[]> = {
  request_count_total: ['service_name', 'endpoint', 'method', 'status_code', 'api_version'],
  request_duration_seconds: ['service_name', 'endpoint', 'method'],
  request_errors_total: ['service_name', 'endpoint', 'method', 'error_type', 'status_code'],
  active_requests: ['service_name', 'endpoint'],
  api_key_usage_total: ['api_key_id', 'client_name', 'service_name', 'endpoint', 'success'],
  endpoint_usage_total: ['service_name', 'endpoint', 'api_version', 'user_segment'],
  user_activity_total: ['activity_type', 'service_name'],
  workflow_success_rate: ['workflow_type', 'complexity_level'],
  ai_requests_total: ['model', 'provider'],
  ai_tokens_total: ['model', 'token_type'],
  ai_cost_total: ['model'],
};

const HISTOGRAMS = new Set(['request_duration_seconds', 'workflow_success_rate']);

/** On every series: the plan's required labels, and what Prometheus adds on scrape. */
export const COMMON_LABELS = ['environment', 'project', 'service', 'job', 'instance'];

/** Prometheus' own series that alert rules may use, with their labels. */
export const PROMETHEUS_SERIES: Record<string, string[]> = {
  up: ['job', 'instance', 'app'],
  scrape_samples_post_metric_relabeling: ['job', 'instance', 'app'],
  scrape_series_added: ['job', 'instance', 'app'],
};

/** Every application series name with its full label set. */
export function applicationSeries(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [family, labels] of Object.entries(FAMILIES)) {
    const all = [...labels, ...COMMON_LABELS];
    if (HISTOGRAMS.has(family)) {
      out.set(`${family}_bucket`, new Set([...all, 'le']));
      out.set(`${family}_sum`, new Set(all));
      out.set(`${family}_count`, new Set(all));
    } else {
      out.set(family, new Set(all));
    }
  }
  return out;
}
