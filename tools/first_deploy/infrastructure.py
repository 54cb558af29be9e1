"""Checks of the AWS side: state encryption, IAM before EKS, node networking
before nodes, EFS mounts."""

from __future__ import annotations

import json

from tools.first_deploy.model import Doc, Model, depends_on, of_kind, refs


def check_state(model: Model, stack: str, doc: Doc) -> None:
    backend = doc.get("terraform", {}).get("backend", {})
    if "s3" in backend and not backend["s3"].get("kms_key_id"):
        model.add(
            stack, "terraform.backend.s3", "state", "no kms_key_id: state is written SSE-S3, not with the state key"
        )
    for name, body in doc.get("data", {}).get("terraform_remote_state", {}).items():
        if body.get("backend") == "s3" and not body.get("config", {}).get("kms_key_id"):
            model.add(stack, f"data.terraform_remote_state.{name}", "state", "no kms_key_id for the state key")


def check_iam(model: Model, stack: str, doc: Doc) -> None:
    attachments: dict[str, set[str]] = {}
    for address, body in of_kind(doc, "aws_iam_role_policy_attachment").items():
        for role in refs(body.get("role")):
            attachments.setdefault(role, set()).add(address)
    users = [("aws_eks_cluster", "role_arn"), ("aws_eks_node_group", "node_role_arn")]
    for kind, attribute in users:
        for address, body in of_kind(doc, kind).items():
            for role in refs(body.get(attribute)):
                missing = sorted(attachments.get(role, set()) - depends_on(body))
                if missing:
                    model.add(stack, address, "iam", f"does not depend on its role's policy attachment {missing[0]}")


def check_node_networking(model: Model, stack: str, doc: Doc) -> None:
    addons = of_kind(doc, "aws_eks_addon")
    cni = next(((a, b) for a, b in addons.items() if b.get("addon_name") == "vpc-cni"), None)
    groups = of_kind(doc, "aws_eks_node_group")
    if cni is None:
        for address in groups:
            model.add(
                stack,
                address,
                "node-networking",
                "no vpc-cni add-on in this stack to configure node networking first",
            )
        return
    cni_address, cni_body = cni
    for address, body in groups.items():
        if cni_address not in depends_on(body):
            model.add(
                stack,
                address,
                "node-networking",
                f"does not wait for {cni_address}: nodes would join with the default CNI settings",
            )
    config = json.loads(cni_body.get("configuration_values") or "{}")
    if config.get("env", {}).get("AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG") != "true":
        return
    eni = config.get("eniConfig") or {}
    if not eni.get("create") or not eni.get("subnets"):
        model.add(
            stack,
            cni_address,
            "node-networking",
            "custom networking without ENIConfigs in the add-on's eniConfig: ipamd attaches no ENI, nodes never get ready",
        )


def check_data(model: Model, stack: str, doc: Doc) -> None:
    """Once an EFS file system has a policy, only what it allows may mount: the
    CSI driver mounts without IAM, so an Allow for mount-target clients is needed."""
    documents = doc.get("data", {}).get("aws_iam_policy_document", {})
    for address, body in of_kind(doc, "aws_efs_file_system_policy").items():
        name = str(body.get("policy", "")).removeprefix("${data.aws_iam_policy_document.").removesuffix(".json}")
        statements = documents.get(name, {}).get("statement", [])
        mounts = [
            s
            for s in statements
            if s.get("effect", "Allow") == "Allow" and "elasticfilesystem:ClientMount" in s.get("actions", [])
        ]
        if not mounts:
            model.add(
                stack, address, "data", "the file-system policy allows no mount: every CSI driver mount is denied"
            )
