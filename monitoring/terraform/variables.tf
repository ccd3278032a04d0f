# Inputs of the monitoring infrastructure. Secrets have no default and are `sensitive`: pass
# them with TF_VAR_grafana_cloud_api_key (never in a committed .tfvars). See docs/grafana-cloud.md.

variable "environment" {
  description = "Deployment environment: the `environment` label that separates dev and prod in Grafana Cloud, and the SSM path segment."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "aws_region" {
  description = "AWS region of the ECS cluster and the SSM parameters."
  type        = string
  default     = "eu-west-1"
}

variable "project" {
  description = "The `project` label on every series (same default as @ai-teams/otel-metrics)."
  type        = string
  default     = "starmates-ai-team"
}

variable "grafana_cloud_api_key" {
  description = "Grafana Cloud access-policy token with metrics:write and logs:write (glc_...). Stored as an SSM SecureString."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.grafana_cloud_api_key) > 0
    error_message = "grafana_cloud_api_key must not be empty."
  }
}

variable "grafana_cloud_prometheus_url" {
  description = "Grafana Cloud Prometheus (Mimir) remote-write URL, e.g. https://prometheus-prod-24-prod-eu-west-2.grafana.net/api/prom/push."
  type        = string
}

variable "grafana_cloud_prometheus_user" {
  description = "Grafana Cloud Prometheus instance id (the Basic-auth user for remote write)."
  type        = string
}

variable "grafana_cloud_loki_otlp_url" {
  description = "Grafana Cloud Loki OTLP endpoint: the Loki URL + /otlp, e.g. https://logs-prod-012.grafana.net/otlp."
  type        = string
}

variable "grafana_cloud_loki_user" {
  description = "Grafana Cloud Loki user id (the Basic-auth user for logs)."
  type        = string
}

variable "jaeger_otlp_endpoint" {
  description = "host:port of the Jaeger v2 OTLP gRPC receiver the collector sends traces to."
  type        = string
}

variable "collector_image" {
  description = "Collector image; keep it at the version of monitoring/collector/builder-config.yaml."
  type        = string
  default     = "otel/opentelemetry-collector-contrib:0.158.0"
}

variable "collector_cpu" {
  description = "Fargate CPU units of the collector task."
  type        = number
  default     = 256
}

variable "collector_memory" {
  description = "Fargate memory (MiB) of the collector task; memory_limiter is set 112 MiB below it."
  type        = number
  default     = 512
}

variable "log_retention_days" {
  description = "CloudWatch retention of the collector's own logs."
  type        = number
  default     = 14
}
