output "grafana_cloud_api_key_parameter" {
  description = "SSM name of the Grafana Cloud token (SecureString)."
  value       = aws_ssm_parameter.grafana_cloud_api_key.name
}

output "grafana_cloud_config_parameter" {
  description = "SSM name of the Grafana Cloud endpoints JSON (String)."
  value       = aws_ssm_parameter.grafana_cloud_config.name
}

output "otel_collector_task_definition_arn" {
  description = "ARN of the collector's ECS task definition."
  value       = aws_ecs_task_definition.otel_collector.arn
}

output "account_id" {
  description = "AWS account the stack was applied to (check it before trusting the outputs)."
  value       = data.aws_caller_identity.current.account_id
}
