"""Checks of who reaches the Kubernetes API, and from where: the CI identity's
access entries, and the endpoint's reach from the runner each stack's job uses."""

from __future__ import annotations

import json
from typing import Any

from tools.first_deploy.model import Model, of_kind, refs
from tools.stacks import split_stack_name

ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
READ_POLICIES = (ADMIN_POLICY, "AmazonEKSAdminViewPolicy")
HTTPS = 443


def ci_role(model: Model, env: str, purpose: str) -> str | None:
    """The name of the CI role the bootstrap stack outputs (`deploy_role_arn`, `plan_role_arn`)."""
    doc = model.docs.get(f"{env}-bootstrap", {})
    output = doc.get("output", {}).get(f"{purpose}_role_arn")
    if output is None:
        return None
    for address in refs(output.get("value")):
        body = of_kind(doc, "aws_iam_role").get(address)
        if body is not None:
            return str(body["name"])
    return None


def access(model: Model, stacks: list[str]) -> dict[str, set[str]]:
    """Principal ARN (as written) -> cluster-scoped access policies, over the given stacks."""
    granted: dict[str, set[str]] = {}
    for stack in stacks:
        doc = model.docs[stack]
        entries = of_kind(doc, "aws_eks_access_entry")
        for body in of_kind(doc, "aws_eks_access_policy_association").values():
            if (body.get("access_scope") or {}).get("type") != "cluster":
                continue
            principal = body.get("principal_arn", "")
            for address in refs(principal) & set(entries):
                principal = entries[address]["principal_arn"]
            granted.setdefault(principal, set()).add(str(body.get("policy_arn", "")).rsplit("/", 1)[-1])
    return granted


def check_identity(model: Model, stack: str) -> None:
    env, _ = split_stack_name(stack)
    granted = access(model, model.before(stack))
    deploy, plan = ci_role(model, env, "deploy"), ci_role(model, env, "plan")
    if deploy is None:
        if not any(ADMIN_POLICY in policies for policies in granted.values()):
            model.add(
                stack, "provider", "identity", "no principal holds a cluster-admin access entry in an earlier stack"
            )
        return
    for role, wanted, what in ((deploy, (ADMIN_POLICY,), "cluster-admin"), (plan, READ_POLICIES, "read")):
        if role is None:
            model.add(stack, "provider", "identity", "the bootstrap stack outputs no CI plan role")
            continue
        held = {p for arn, policies in granted.items() if arn.endswith(f":role/{role}") for p in policies}
        if not held & set(wanted):
            model.add(stack, "provider", "identity", f"CI role {role} has no {what} access entry in an earlier stack")


def check_reach(model: Model, stack: str) -> None:
    env, _ = split_stack_name(stack)
    cluster_doc = model.docs.get(f"{env}-cluster", {})
    clusters = of_kind(cluster_doc, "aws_eks_cluster")
    if not clusters:
        model.add(stack, "provider", "reach", f"no EKS cluster in {env}-cluster to reach")
        return
    cluster_address, cluster = next(iter(clusters.items()))
    vpc = cluster.get("vpc_config") or {}
    runner = model.rows[stack].runner
    if not runner:
        if not (vpc.get("endpoint_public_access") and "0.0.0.0/0" in (vpc.get("public_access_cidrs") or [])):
            model.add(
                stack,
                "provider",
                "reach",
                "runs on GitHub-hosted runners but the endpoint is private or allow-listed: they cannot reach it",
            )
        return
    project_name = runner.removeprefix("codebuild-")
    projects = {a: b for a, b in of_kind(cluster_doc, "aws_codebuild_project").items() if b.get("name") == project_name}
    if not projects:
        model.add(
            stack,
            "provider",
            "reach",
            f"runs on CodeBuild project {project_name}, which {env}-cluster does not create",
        )
        return
    project_address, project = next(iter(projects.items()))
    project_config = project.get("vpc_config") or {}
    if not project_config.get("subnets") or not vpc.get("endpoint_private_access"):
        model.add(
            stack, project_address, "reach", "the runner is not in the VPC, or the endpoint has no private access"
        )
        return
    hooks = [
        h
        for h in of_kind(cluster_doc, "aws_codebuild_webhook").values()
        if refs(h.get("project_name")) & {project_address}
        and "WORKFLOW_JOB_QUEUED" in json.dumps(h.get("filter_group"))
    ]
    if not hooks:
        model.add(stack, project_address, "reach", "no webhook on WORKFLOW_JOB_QUEUED: no runner ever starts")
    runner_groups = refs(project_config.get("security_group_ids"))
    allowed = [
        rule
        for rule in of_kind(cluster_doc, "aws_vpc_security_group_ingress_rule").values()
        if cluster_address in refs(rule.get("security_group_id"))
        and "cluster_security_group_id" in str(rule.get("security_group_id"))
        and refs(rule.get("referenced_security_group_id")) & runner_groups
        and rule.get("ip_protocol") in ("tcp", "-1")
        and (rule.get("ip_protocol") == "-1" or rule.get("from_port", 0) <= HTTPS <= rule.get("to_port", 0))
    ]
    if not allowed:
        model.add(
            stack,
            project_address,
            "reach",
            "no ingress rule lets the runner reach 443 on the cluster security group",
        )


def check_pod_identity(model: Model, stack: str, doc: dict[str, Any]) -> None:
    """A Helm release whose values name a service account that EKS Pod Identity
    binds needs the association in an earlier stack: pods get their credentials
    when they start, and a controller that started without them fails."""
    env, _ = split_stack_name(stack)

    def bound(stacks: list[str]) -> set[tuple[str, str]]:
        return {
            (str(a.get("namespace")), str(a.get("service_account")))
            for name in stacks
            for a in of_kind(model.docs[name], "aws_eks_pod_identity_association").values()
        }

    anywhere = bound([name for name in model.docs if split_stack_name(name)[0] == env])
    earlier = bound(model.before(stack))
    for address, body in of_kind(doc, "helm_release").items():
        for text in body.get("values") or []:
            try:
                values = json.loads(text)
            except ValueError:
                continue
            account = (values.get("serviceAccount") or {}).get("name") if isinstance(values, dict) else None
            key = (str(body.get("namespace", "default")), str(account))
            if account and key in anywhere and key not in earlier:
                missing = (
                    f"service account {key[0]}/{key[1]} is bound by EKS Pod Identity only in this or a later stack"
                )
                model.add(stack, address, "identity", missing)
