# Grafana Cloud settings in SSM Parameter Store, one path per environment:
#   /ai-teams/<environment>/monitoring/grafana-cloud-api-key  SecureString (the token)
#   /ai-teams/<environment>/monitoring/grafana-cloud-config   String (endpoints and user ids)
# The ECS task reads the token through `secrets`/`valueFrom` (ecs.tf); nothing secret is in the
# task definition or the repository.

locals {
  ssm_prefix = "/ai-teams/${var.environment}/monitoring"
}

resource "aws_ssm_parameter" "grafana_cloud_api_key" {
  name        = "${local.ssm_prefix}/grafana-cloud-api-key"
  description = "Grafana Cloud access-policy token (metrics:write, logs:write) for the ${var.environment} collector"
  type        = "SecureString"
  value       = var.grafana_cloud_api_key
}

resource "aws_ssm_parameter" "grafana_cloud_config" {
  name        = "${local.ssm_prefix}/grafana-cloud-config"
  description = "Grafana Cloud endpoints and user ids for the ${var.environment} collector (not secret)"
  type        = "String"
  value = jsonencode({
    environment     = var.environment
    project         = var.project
    prometheus_url  = var.grafana_cloud_prometheus_url
    prometheus_user = var.grafana_cloud_prometheus_user
    loki_otlp_url   = var.grafana_cloud_loki_otlp_url
    loki_user       = var.grafana_cloud_loki_user
  })
}
