"""modules/cluster: the EKS control plane, the system node group, EKS add-ons, the CSI
drivers and the VPC CNI settings, as cdktf unit tests."""

from __future__ import annotations

import base64
import json

import pytest
from cdktf import TerraformStack, Testing
from cdktf_cdktf_provider_aws.provider import AwsProvider

from modules.cluster.addons import COREDNS_CONFIGURATION, eks_addon
from modules.cluster.csi_drivers import EBS, EFS, CsiDriver, CsiDriverSettings
from modules.cluster.eks import Cluster, ClusterSettings
from modules.cluster.node_group import NodeGroupSettings, SystemNodeGroup, ami_type
from modules.cluster.vpc_cni import PodSubnet, vpc_cni_configuration
from modules.conventions import CRITICAL_ADDONS_TAINT, NODE_POLICIES, SYSTEM_NODE_LABEL
from planning.ip_capacity import CniMode
from tests.modules.helpers import (
    CLUSTER,
    REGION,
    Doc,
    cluster_handle,
    data,
    named,
    only,
    parse,
    ref,
    resources,
    statements,
)

ADMIN = "arn:aws:iam::123456789012:role/Admin"
DATA_KEY = "arn:aws:kms:eu-west-1:123456789012:key/data"
PREFIX = CniMode(prefix_delegation=True, custom_networking=False, warm_prefix_target=1)


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The control plane: public endpoint with an allow-list, protected, adopting its log group."""
    stack = TerraformStack(Testing.app(outdir=str(tmp_path_factory.mktemp("cluster"))), "cluster")
    AwsProvider(stack, "aws", region=REGION)
    settings = ClusterSettings(
        name=CLUSTER,
        kubernetes_version="1.34",
        control_plane_subnet_ids=["subnet-intra-0", "subnet-intra-1"],
        endpoint_public_access=True,
        public_access_cidrs=["203.0.113.0/24"],
        admin_principal_arns=[ADMIN],
        log_types=["audit"],
        log_retention_days=30,
        adopt_existing_log_group=True,
        protect=True,
        admin_role_names=["demo-ci-deploy"],
        viewer_role_names=["demo-ci-plan"],
    )
    Cluster(stack, "eks", settings)
    return Testing.synth(stack)


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The system node group after the vpc-cni add-on, and both CSI drivers after the nodes."""
    stack = TerraformStack(Testing.app(outdir=str(tmp_path_factory.mktemp("nodes"))), "nodes")
    AwsProvider(stack, "aws", region=REGION)
    cluster = cluster_handle(stack)
    cni = eks_addon(
        stack,
        cluster_name=cluster.name_ref,
        kubernetes_version="1.34",
        name="vpc-cni",
        pinned_versions={"vpc-cni": "v1.20.4-eksbuild.1"},
        configuration=vpc_cni_configuration(PREFIX, region=REGION),
    )
    settings = NodeGroupSettings(
        name="system",
        kubernetes_version="1.34",
        subnet_ids=["subnet-private-0", "subnet-private-1"],
        instance_types=["m7g.large"],
        min_size=2,
        desired_size=2,
        max_size=4,
        disk_size_gib=40,
        max_pods=110,
    )
    group = SystemNodeGroup(stack, "system-nodes", settings, cluster=cluster, depends_on=[cni])
    for driver in (EBS, EFS):
        CsiDriver(
            stack,
            driver[0],
            CsiDriverSettings(
                driver=driver,
                kubernetes_version="1.34",
                pinned_versions={"aws-efs-csi-driver": "v2.1.0-eksbuild.1"},
                kms_key_arn=DATA_KEY if driver is EBS else None,
            ),
            cluster=cluster,
            depends_on=[group.node_group],
        )
    return Testing.synth(stack)


@pytest.fixture(scope="module")
def eks_addons(tmp_path_factory: pytest.TempPathFactory) -> str:
    stack = TerraformStack(Testing.app(outdir=str(tmp_path_factory.mktemp("addons"))), "addons")
    AwsProvider(stack, "aws", region="eu-west-1")
    pins = {"coredns": "v1.12.1-eksbuild.2"}
    eks_addon(
        stack,
        cluster_name="c",
        kubernetes_version="1.34",
        name="coredns",
        pinned_versions=pins,
        configuration=COREDNS_CONFIGURATION,
    )
    eks_addon(stack, cluster_name="c", kubernetes_version="1.34", name="kube-proxy", pinned_versions=pins)
    return Testing.synth(stack)


# --- the control plane ---


def test_access_through_entries_only_and_no_creator_admin(synthesized: str) -> None:
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_eks_cluster",
        {
            "name": CLUSTER,
            "version": "1.34",
            "access_config": {"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": False},
        },
    )
    doc = parse(synthesized)
    cluster_name, _ = only(doc, "aws_eks_cluster")
    grants = {
        entry["principal_arn"]: association
        for entry_name, entry in resources(doc, "aws_eks_access_entry").items()
        for association in resources(doc, "aws_eks_access_policy_association").values()
        if association["principal_arn"] == ref("aws_eks_access_entry", entry_name, "principal_arn")
    }
    assert len(grants) == 3
    for entry in resources(doc, "aws_eks_access_entry").values():
        assert entry["cluster_name"] == ref("aws_eks_cluster", cluster_name, "name")
    policies = {arn.rsplit(":role/", 1)[1]: a["policy_arn"].rsplit("/", 1)[1] for arn, a in grants.items()}
    assert policies == {
        "Admin": "AmazonEKSClusterAdminPolicy",
        "demo-ci-deploy": "AmazonEKSClusterAdminPolicy",
        "demo-ci-plan": "AmazonEKSAdminViewPolicy",
    }
    assert all(a["access_scope"] == {"type": "cluster"} for a in grants.values())
    # Roles named in config are this account's: their ARN is built from the caller identity.
    (deploy,) = [arn for arn in grants if arn.endswith(":role/demo-ci-deploy")]
    assert deploy.startswith("arn:${data.aws_partition.") and "${data.aws_caller_identity." in deploy


def test_private_endpoint_always_public_only_with_an_allow_list(synthesized: str) -> None:
    _, cluster = only(parse(synthesized), "aws_eks_cluster")
    assert cluster["vpc_config"] == {
        "subnet_ids": ["subnet-intra-0", "subnet-intra-1"],
        "endpoint_private_access": True,
        "endpoint_public_access": True,
        "public_access_cidrs": ["203.0.113.0/24"],
    }


def test_secrets_encrypted_with_a_rotating_key_only_the_cluster_role_uses(synthesized: str) -> None:
    doc = parse(synthesized)
    _, cluster = only(doc, "aws_eks_cluster")
    key_name, key = named(doc, "aws_kms_key", "secrets-kms")
    role_name, role = only(doc, "aws_iam_role")
    assert cluster["encryption_config"] == {
        "resources": ["secrets"],
        "provider": {"key_arn": ref("aws_kms_key", key_name, "arn")},
    }
    assert key["enable_key_rotation"] is True
    user = statements(doc, key["policy"])["ClusterRoleUsesKey"]
    assert user["principals"] == [{"type": "AWS", "identifiers": [ref("aws_iam_role", role_name, "arn")]}]
    assert "kms:*" not in user["actions"]
    (trust,) = statements(doc, role["assume_role_policy"]).values()
    assert trust["principals"] == [{"type": "Service", "identifiers": ["eks.amazonaws.com"]}]
    assert trust["actions"] == ["sts:AssumeRole", "sts:TagSession"]
    assert cluster["role_arn"] == ref("aws_iam_role", role_name, "arn")


def test_log_group_exists_before_the_cluster_with_retention_and_kms(synthesized: str) -> None:
    doc = parse(synthesized)
    _, cluster = only(doc, "aws_eks_cluster")
    log_group_name, log_group = only(doc, "aws_cloudwatch_log_group")
    key_name, key = named(doc, "aws_kms_key", "logs-kms")
    assert cluster["enabled_cluster_log_types"] == ["audit"]
    assert log_group == {
        "name": "/aws/eks/demo/cluster",
        "retention_in_days": 30,
        "kms_key_id": ref("aws_kms_key", key_name, "arn"),
        "lifecycle": {"prevent_destroy": True},
    }
    assert "CloudWatchLogsUse" in statements(doc, key["policy"])
    (attachment,) = resources(doc, "aws_iam_role_policy_attachment")
    # The log group first; the role's policy outlives the cluster on destroy.
    assert cluster["depends_on"] == [
        f"aws_cloudwatch_log_group.{log_group_name}",
        f"aws_iam_role_policy_attachment.{attachment}",
    ]


def test_protection_and_deletion_protection(synthesized: str) -> None:
    doc = parse(synthesized)
    _, cluster = only(doc, "aws_eks_cluster")
    assert cluster["deletion_protection"] is True and cluster["lifecycle"] == {"prevent_destroy": True}
    assert cluster["zonal_shift_config"] == {"enabled": False}  # the default
    assert all(k["lifecycle"] == {"prevent_destroy": True} for k in resources(doc, "aws_kms_key").values())


def test_adopting_a_leftover_log_group_imports_it(synthesized: str) -> None:
    doc = json.loads(synthesized)
    (log_group_id,) = doc["resource"]["aws_cloudwatch_log_group"]
    assert doc["import"] == [{"id": "/aws/eks/demo/cluster", "to": f"aws_cloudwatch_log_group.{log_group_id}"}]


# --- the system node group ---


def test_nodes_use_imdsv2_with_hop_limit_1_and_encrypted_gp3(nodes: str) -> None:
    assert Testing.to_have_resource_with_properties(
        nodes,
        "aws_launch_template",
        {"metadata_options": {"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1}},
    )
    assert not Testing.to_have_resource_with_properties(
        nodes, "aws_launch_template", {"metadata_options": {"http_put_response_hop_limit": 2}}
    )
    _, template = only(parse(nodes), "aws_launch_template")
    (device,) = template["block_device_mappings"]
    assert device["device_name"] == "/dev/xvda"
    assert device["ebs"] == {
        "volume_size": 40,
        "volume_type": "gp3",
        "encrypted": "true",
        "delete_on_termination": "true",
    }
    assert "key_name" not in template
    user_data = base64.b64decode(template["user_data"]).decode()
    assert "kind: NodeConfig" in user_data and "      maxPods: 110" in user_data


def test_node_group_in_the_given_private_subnets_for_critical_addons_only(nodes: str) -> None:
    doc = parse(nodes)
    template_name, _ = only(doc, "aws_launch_template")
    assert Testing.to_have_resource_with_properties(
        nodes,
        "aws_eks_node_group",
        {
            "cluster_name": CLUSTER,
            "subnet_ids": ["subnet-private-0", "subnet-private-1"],
            "instance_types": ["m7g.large"],
            "ami_type": "AL2023_ARM_64_STANDARD",
            "capacity_type": "ON_DEMAND",
            "scaling_config": {"min_size": 2, "desired_size": 2, "max_size": 4},
            "labels": {"eks-platform/node-group": "system"},
            "launch_template": {"id": ref("aws_launch_template", template_name, "id")},
            "lifecycle": {"create_before_destroy": True},
        },
    )
    _, group = only(doc, "aws_eks_node_group")
    assert group["taint"] == [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}]
    assert group["node_repair_config"] == {"enabled": True}
    assert "remote_access" not in group


def test_node_group_waits_for_the_cni_and_its_role_permissions(nodes: str) -> None:
    doc = parse(nodes)
    _, group = only(doc, "aws_eks_node_group")
    role_name, role = named(doc, "aws_iam_role", "node-role")
    node_attachments = {
        name: a
        for name, a in resources(doc, "aws_iam_role_policy_attachment").items()
        if a["role"] == ref("aws_iam_role", role_name, "name")
    }
    assert sorted(a["policy_arn"].rsplit("/", 1)[1] for a in node_attachments.values()) == sorted(NODE_POLICIES)
    assert sorted(group["depends_on"]) == sorted(
        ["aws_eks_addon.vpc-cni", *(f"aws_iam_role_policy_attachment.{n}" for n in node_attachments)]
    )
    assert group["node_role_arn"] == ref("aws_iam_role", role_name, "arn")
    (trust,) = statements(doc, role["assume_role_policy"]).values()
    assert trust["principals"] == [{"type": "Service", "identifiers": ["ec2.amazonaws.com"]}]


def test_ami_type_follows_architecture() -> None:
    assert ami_type(["t4g.large"]) == "AL2023_ARM_64_STANDARD"
    assert ami_type(["m6a.large"]) == "AL2023_x86_64_STANDARD"


# --- add-ons ---


def test_pinned_and_resolved_versions(eks_addons: str) -> None:
    doc = json.loads(eks_addons)
    addons = doc["resource"]["aws_eks_addon"]
    assert addons["coredns"]["addon_version"] == "v1.12.1-eksbuild.2"
    assert addons["kube-proxy"]["addon_version"].startswith("${data.aws_eks_addon_version.")
    (lookup,) = doc["data"]["aws_eks_addon_version"].values()
    assert lookup["addon_name"] == "kube-proxy" and lookup["kubernetes_version"] == "1.34"


def test_coredns_stays_on_the_system_nodes(eks_addons: str) -> None:
    addon = resources(parse(eks_addons), "aws_eks_addon")["coredns"]
    assert json.loads(addon["configuration_values"]) == {
        "nodeSelector": {SYSTEM_NODE_LABEL[0]: SYSTEM_NODE_LABEL[1]},
        "tolerations": [{"key": CRITICAL_ADDONS_TAINT, "operator": "Exists"}],
    }
    assert "configuration_values" not in resources(parse(eks_addons), "aws_eks_addon")["kube-proxy"]


def test_addons_overwrite_drift(eks_addons: str, nodes: str) -> None:
    for synthesized in (eks_addons, nodes):
        for addon in resources(parse(synthesized), "aws_eks_addon").values():
            assert addon["resolve_conflicts_on_create"] == addon["resolve_conflicts_on_update"] == "OVERWRITE"


def test_vpc_cni_settings(nodes: str) -> None:
    addon = resources(parse(nodes), "aws_eks_addon")["vpc-cni"]
    assert json.loads(addon["configuration_values"]) == {
        "enableNetworkPolicy": "true",
        "env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"},
    }


def test_custom_networking_brings_an_eni_config_per_zone() -> None:
    mode = CniMode(prefix_delegation=True, custom_networking=True, warm_prefix_target=1)
    pods = [PodSubnet(zone=f"eu-west-1{z}", subnet_id=f"subnet-pod-{z}", security_group_ids=["sg-1"]) for z in "ab"]
    configuration = vpc_cni_configuration(mode, region=REGION, pod_subnets=pods)
    assert configuration["env"]["AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"] == "true"
    assert configuration["env"]["ENI_CONFIG_LABEL_DEF"] == "topology.kubernetes.io/zone"
    assert configuration["eniConfig"] == {
        "create": True,
        "region": REGION,
        "subnets": {
            "eu-west-1a": {"id": "subnet-pod-a", "securityGroups": ["sg-1"]},
            "eu-west-1b": {"id": "subnet-pod-b", "securityGroups": ["sg-1"]},
        },
    }
    with pytest.raises(ValueError, match="pod subnet per AZ"):
        vpc_cni_configuration(mode, region=REGION)


# --- CSI drivers ---


def csi_role(doc: Doc, addon: Doc) -> tuple[str, Doc]:
    (association,) = addon["pod_identity_association"]
    role_name = association["role_arn"].removeprefix("${aws_iam_role.").removesuffix(".arn}")
    return role_name, resources(doc, "aws_iam_role")[role_name]


def test_csi_drivers_use_pod_identity_roles_with_the_managed_policy(nodes: str) -> None:
    doc = parse(nodes)
    group_name, _ = only(doc, "aws_eks_node_group")
    drivers = {a["addon_name"]: a for a in resources(doc, "aws_eks_addon").values() if a["addon_name"] != "vpc-cni"}
    assert set(drivers) == {"aws-ebs-csi-driver", "aws-efs-csi-driver"}
    for addon_name, service_account, policy in (
        ("aws-ebs-csi-driver", "ebs-csi-controller-sa", "AmazonEBSCSIDriverPolicy"),
        ("aws-efs-csi-driver", "efs-csi-controller-sa", "AmazonEFSCSIDriverPolicy"),
    ):
        addon = drivers[addon_name]
        assert addon["cluster_name"] == CLUSTER
        assert addon["depends_on"] == [f"aws_eks_node_group.{group_name}"]
        assert addon["pod_identity_association"][0]["service_account"] == service_account
        role_name, role = csi_role(doc, addon)
        assert role["name"] == f"demo-{addon_name}"
        (trust,) = statements(doc, role["assume_role_policy"]).values()
        assert trust["principals"] == [{"type": "Service", "identifiers": ["pods.eks.amazonaws.com"]}]
        (attached,) = [
            a["policy_arn"]
            for a in resources(doc, "aws_iam_role_policy_attachment").values()
            if a["role"] == ref("aws_iam_role", role_name, "name")
        ]
        assert attached.endswith(f":iam::aws:policy/{policy}")
    # Pinned in config wins; otherwise EKS's default for the Kubernetes version, looked up.
    assert drivers["aws-efs-csi-driver"]["addon_version"] == "v2.1.0-eksbuild.1"
    ((lookup_name, lookup),) = data(doc, "aws_eks_addon_version").items()
    assert (lookup["addon_name"], lookup["kubernetes_version"]) == ("aws-ebs-csi-driver", "1.34")
    assert drivers["aws-ebs-csi-driver"]["addon_version"] == f"${{data.aws_eks_addon_version.{lookup_name}.version}}"


def test_only_the_ebs_driver_may_use_the_data_key(nodes: str) -> None:
    doc = parse(nodes)
    drivers = {a["addon_name"]: a for a in resources(doc, "aws_eks_addon").values()}
    ebs_role, _ = csi_role(doc, drivers["aws-ebs-csi-driver"])
    efs_role, _ = csi_role(doc, drivers["aws-efs-csi-driver"])
    (inline,) = resources(doc, "aws_iam_role_policy").values()
    assert inline["role"] == ref("aws_iam_role", ebs_role, "id") != ref("aws_iam_role", efs_role, "id")
    granted = statements(doc, inline["policy"])
    assert granted["UseDataKey"]["resources"] == [DATA_KEY]
    assert "kms:*" not in granted["UseDataKey"]["actions"]
    grant = granted["GrantDataKeyToAwsResources"]
    assert grant["resources"] == [DATA_KEY]
    assert grant["condition"] == [{"test": "Bool", "variable": "kms:GrantIsForAWSResource", "values": ["true"]}]
