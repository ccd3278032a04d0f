# Provider and Terraform versions for the monitoring infrastructure (SSM + ECS). The lock file
# (.terraform.lock.hcl, created by `terraform init`) pins the exact build; commit it.
terraform {
  required_version = ">= 1.6.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.17"
    }
  }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      project     = var.project
      environment = var.environment
      component   = "monitoring"
      managed-by  = "terraform"
    }
  }
}
