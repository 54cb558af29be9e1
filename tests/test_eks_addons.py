"""EKS add-on versions, AMI types, and adopting a leftover control-plane log group."""

from __future__ import annotations

import json
from pathlib import Path

from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider

from modules.cluster.addons import eks_addon
from modules.cluster.node_group import ami_type
from planning.instances import architecture


def test_pinned_and_resolved_versions(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "addons")
    AwsProvider(stack, "aws", region="eu-west-1")
    pins = {"coredns": "v1.12.1-eksbuild.2"}
    for name in ("coredns", "kube-proxy"):
        eks_addon(stack, cluster_name="c", kubernetes_version="1.34", name=name, pinned_versions=pins)
    app.synth()
    doc = json.loads((tmp_path / "stacks" / "addons" / "cdk.tf.json").read_text())
    addons = doc["resource"]["aws_eks_addon"]
    assert addons["coredns"]["addon_version"] == "v1.12.1-eksbuild.2"
    assert addons["kube-proxy"]["addon_version"].startswith("${data.aws_eks_addon_version.")
    (lookup,) = doc["data"]["aws_eks_addon_version"].values()
    assert lookup["addon_name"] == "kube-proxy" and lookup["kubernetes_version"] == "1.34"


def test_ami_type_follows_architecture() -> None:
    assert architecture("m7g.large") == "arm64" and architecture("c7gn.xlarge") == "arm64"
    assert architecture("m7i.large") == "amd64" and architecture("t3.large") == "amd64"
    assert ami_type(["t4g.large"]) == "AL2023_ARM_64_STANDARD"
    assert ami_type(["m6a.large"]) == "AL2023_x86_64_STANDARD"


def test_adopting_a_leftover_log_group_imports_it(tmp_path: Path) -> None:
    from modules.cluster.eks import Cluster, ClusterSettings

    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "adopt")
    AwsProvider(stack, "aws", region="eu-west-1")
    Cluster(
        stack,
        "eks",
        ClusterSettings(
            name="demo",
            kubernetes_version="1.34",
            control_plane_subnet_ids=["subnet-a", "subnet-b"],
            endpoint_public_access=False,
            public_access_cidrs=[],
            admin_principal_arns=[],
            log_types=["audit"],
            log_retention_days=30,
            adopt_existing_log_group=True,
        ),
    )
    app.synth()
    doc = json.loads((tmp_path / "stacks" / "adopt" / "cdk.tf.json").read_text())
    (log_group_id,) = doc["resource"]["aws_cloudwatch_log_group"]
    assert doc["import"] == [{"id": "/aws/eks/demo/cluster", "to": f"aws_cloudwatch_log_group.{log_group_id}"}]
