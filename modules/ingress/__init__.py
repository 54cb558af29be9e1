"""The AWS Load Balancer Controller: its IAM (cluster stack), its Helm release (addons stack)."""
