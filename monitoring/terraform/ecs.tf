# The OpenTelemetry Collector as an ECS (Fargate) task. Its configuration is
# monitoring/otel-collector-config.yml, unchanged, passed in the OTELCOL_CONFIG variable and
# read with `--config=env:OTELCOL_CONFIG`; everything environment-specific is an environment
# variable, and the Grafana Cloud token comes from SSM through `secrets`/`valueFrom`.

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_kms_alias" "ssm" {
  name = "alias/aws/ssm"
}

resource "aws_cloudwatch_log_group" "otel_collector" {
  name              = "/ai-teams/${var.environment}/otel-collector"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "otel_collector_execution" {
  name               = "ai-teams-otel-collector-exec-${var.environment}"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "otel_collector_execution" {
  role       = aws_iam_role.otel_collector_execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

# The execution role may read exactly this environment's monitoring parameters.
data "aws_iam_policy_document" "read_monitoring_parameters" {
  statement {
    actions = ["ssm:GetParameters", "ssm:GetParameter"]
    resources = [
      aws_ssm_parameter.grafana_cloud_api_key.arn,
      aws_ssm_parameter.grafana_cloud_config.arn,
    ]
  }
  statement {
    actions   = ["kms:Decrypt"]
    resources = [data.aws_kms_alias.ssm.target_key_arn]
  }
}

resource "aws_iam_role_policy" "otel_collector_read_parameters" {
  name   = "read-monitoring-parameters"
  role   = aws_iam_role.otel_collector_execution.id
  policy = data.aws_iam_policy_document.read_monitoring_parameters.json
}

resource "aws_ecs_task_definition" "otel_collector" {
  family                   = "ai-teams-otel-collector-${var.environment}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.collector_cpu
  memory                   = var.collector_memory
  execution_role_arn       = aws_iam_role.otel_collector_execution.arn

  container_definitions = jsonencode([
    {
      name      = "otel-collector"
      image     = var.collector_image
      essential = true
      command   = ["--config=env:OTELCOL_CONFIG"]
      portMappings = [
        { containerPort = 4317, protocol = "tcp" },
        { containerPort = 4318, protocol = "tcp" },
        { containerPort = 13133, protocol = "tcp" },
      ]
      environment = [
        { name = "OTELCOL_CONFIG", value = file("${path.module}/../otel-collector-config.yml") },
        { name = "ENVIRONMENT", value = var.environment },
        { name = "PROJECT", value = var.project },
        { name = "GRAFANA_CLOUD_PROMETHEUS_URL", value = var.grafana_cloud_prometheus_url },
        { name = "GRAFANA_CLOUD_PROMETHEUS_USER", value = var.grafana_cloud_prometheus_user },
        { name = "GRAFANA_CLOUD_LOKI_OTLP_URL", value = var.grafana_cloud_loki_otlp_url },
        { name = "GRAFANA_CLOUD_LOKI_USER", value = var.grafana_cloud_loki_user },
        { name = "JAEGER_OTLP_ENDPOINT", value = var.jaeger_otlp_endpoint },
        { name = "OTELCOL_MEMORY_LIMIT_MIB", value = tostring(var.collector_memory - 112) },
      ]
      secrets = [
        { name = "GRAFANA_CLOUD_API_KEY", valueFrom = aws_ssm_parameter.grafana_cloud_api_key.arn },
      ]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.otel_collector.name
          awslogs-region        = data.aws_region.current.region
          awslogs-stream-prefix = "otel-collector"
        }
      }
    }
  ])
}
