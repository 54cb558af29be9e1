"""modules/base: the KMS key, log group, IAM roles and policy documents, providers with
exec auth, manifests with their prerequisites and Helm releases every feature builds on,
as cdktf unit tests (one small stack, synthesized once for the module)."""

from __future__ import annotations

import json

import pytest
from cdktf import TerraformStack, Testing
from cdktf_cdktf_provider_aws.provider import AwsProvider

from modules.base.charts import helm_release
from modules.base.iam import ServiceAccount, deny_insecure_transport, pod_identity_role, service_role
from modules.base.kms import EncryptionKey, logs_service_statement
from modules.base.kubernetes import helm_provider, kubernetes_provider
from modules.base.log_groups import encrypted_log_group
from modules.base.manifests import add_manifests, container_security_context, pod_security_context
from planning.pins import CNI_METRICS_HELPER
from tests.modules.helpers import CLUSTER, REGION, cluster_handle, only, parse, ref, resources, statements

TOKEN_ARGS = ["eks", "get-token", "--cluster-name", CLUSTER, "--region", REGION, "--output", "json"]


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> str:
    stack = TerraformStack(Testing.app(outdir=str(tmp_path_factory.mktemp("base"))), "base")
    AwsProvider(stack, "aws", region=REGION)
    cluster = cluster_handle(stack)
    key = EncryptionKey(
        stack,
        "key",
        account=cluster.account,
        alias="demo-logs",
        description="Logs of demo",
        service_statements=[logs_service_statement(cluster.account)],
        protect=True,
    )
    encrypted_log_group(stack, "logs", name="/demo/logs", retention_days=30, kms_key_arn=key.arn)
    service_role(
        stack,
        "node",
        name="demo-node",
        service="ec2.amazonaws.com",
        partition=cluster.partition,
        managed_policies=["AmazonSSMManagedInstanceCore"],
        source_account=cluster.account.account_id,
    )
    pod_identity_role(
        stack,
        "pod",
        name="demo-pod",
        partition=cluster.partition,
        bind_to=ServiceAccount(cluster.name_ref, "kube-system", "demo-sa"),
    )
    kubernetes_provider(stack, cluster)
    helm_provider(stack, cluster)
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "team"}}
    add_manifests(stack, [namespace, config_map])
    helm_release(stack, "helper", CNI_METRICS_HELPER, "kube-system", {"b": 1, "a": {"x": 2}})
    return Testing.synth(stack)


def test_encryption_key_rotates_and_is_protected(synthesized: str) -> None:
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_kms_key",
        {"enable_key_rotation": True, "deletion_window_in_days": 30, "lifecycle": {"prevent_destroy": True}},
    )
    assert not Testing.to_have_resource_with_properties(synthesized, "aws_kms_key", {"enable_key_rotation": False})
    doc = parse(synthesized)
    key_name, key = only(doc, "aws_kms_key")
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_kms_alias",
        {"name": "alias/demo-logs", "target_key_id": ref("aws_kms_key", key_name, "key_id")},
    )
    policy = statements(doc, key["policy"])
    assert set(policy) == {"AccountAdministers", "CloudWatchLogsUse"}
    (root,) = policy["AccountAdministers"]["principals"]
    assert root["type"] == "AWS" and len(root["identifiers"]) == 1
    assert root["identifiers"][0].startswith("arn:${data.aws_partition.") and root["identifiers"][0].endswith(":root")
    logs = policy["CloudWatchLogsUse"]
    assert logs["principals"][0]["identifiers"][0].startswith("logs.${data.aws_region.")
    (condition,) = logs["condition"]
    assert (condition["test"], condition["variable"]) == ("ArnLike", "kms:EncryptionContext:aws:logs:arn")
    assert condition["values"][0].endswith(":log-group:*")
    assert "kms:*" not in logs["actions"]


def test_log_group_has_retention_and_the_key(synthesized: str) -> None:
    key_name, _ = only(parse(synthesized), "aws_kms_key")
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_cloudwatch_log_group",
        {"name": "/demo/logs", "retention_in_days": 30, "kms_key_id": ref("aws_kms_key", key_name, "arn")},
    )


def test_service_role_trusts_one_service_for_one_account(synthesized: str) -> None:
    doc = parse(synthesized)
    role = resources(doc, "aws_iam_role")["node"]
    assert role["name"] == "demo-node"
    (trust,) = statements(doc, role["assume_role_policy"]).values()
    assert trust["actions"] == ["sts:AssumeRole"] and "resources" not in trust
    assert trust["principals"] == [{"type": "Service", "identifiers": ["ec2.amazonaws.com"]}]
    (condition,) = trust["condition"]
    assert (condition["test"], condition["variable"]) == ("StringEquals", "aws:SourceAccount")
    assert condition["values"][0].startswith("${data.aws_caller_identity.")
    (attachment,) = resources(doc, "aws_iam_role_policy_attachment").values()
    assert attachment["role"] == "${aws_iam_role.node.name}"
    assert attachment["policy_arn"].startswith("arn:${data.aws_partition.")
    assert attachment["policy_arn"].endswith(":iam::aws:policy/AmazonSSMManagedInstanceCore")


def test_pod_identity_role_is_bound_to_its_service_account(synthesized: str) -> None:
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_eks_pod_identity_association",
        {
            "cluster_name": CLUSTER,
            "namespace": "kube-system",
            "service_account": "demo-sa",
            "role_arn": "${aws_iam_role.pod.arn}",
        },
    )
    doc = parse(synthesized)
    (trust,) = statements(doc, resources(doc, "aws_iam_role")["pod"]["assume_role_policy"]).values()
    assert trust["actions"] == ["sts:AssumeRole", "sts:TagSession"]
    assert trust["principals"] == [{"type": "Service", "identifiers": ["pods.eks.amazonaws.com"]}]


def test_providers_authenticate_with_a_token_command_never_a_stored_token(synthesized: str) -> None:
    assert Testing.to_have_provider_with_properties(
        synthesized,
        "kubernetes",
        {"host": "https://demo.eks.example", "cluster_ca_certificate": '${base64decode("Y2E=")}'},
    )
    doc = parse(synthesized)
    (kubernetes,) = doc["provider"]["kubernetes"]
    (exec_block,) = kubernetes["exec"]
    assert exec_block == {"api_version": "client.authentication.k8s.io/v1beta1", "command": "aws", "args": TOKEN_ARGS}
    (helm,) = doc["provider"]["helm"]
    assert helm["kubernetes"]["exec"] == exec_block
    assert helm["kubernetes"]["host"] == kubernetes["host"]
    assert "token" not in kubernetes and "token" not in helm["kubernetes"]


def test_namespaced_objects_wait_for_their_namespace(synthesized: str) -> None:
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "kubernetes_manifest",
        {"manifest": {"kind": "ConfigMap"}, "depends_on": ["kubernetes_manifest.namespace-team"]},
    )
    manifests = resources(parse(synthesized), "kubernetes_manifest")
    assert set(manifests) == {"namespace-team", "configmap-team-settings"}
    assert "depends_on" not in manifests["namespace-team"]


def test_helm_release_is_atomic_pinned_and_waited_for(synthesized: str) -> None:
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "helm_release",
        {
            "name": "cni-metrics-helper",
            "repository": "https://aws.github.io/eks-charts",
            "version": "1.22.4",
            "namespace": "kube-system",
            "atomic": True,
            "cleanup_on_fail": True,
            "wait": True,
        },
    )
    (values,) = resources(parse(synthesized), "helm_release")["helper"]["values"]
    assert values == json.dumps({"a": {"x": 2}, "b": 1})  # keys sorted: no diff from ordering alone


def test_tls_only_statement() -> None:
    statement = deny_insecure_transport(["arn:aws:s3:::b", "arn:aws:s3:::b/*"], ["s3:*"])
    assert (statement.sid, statement.effect, list(statement.actions)) == ("DenyInsecureTransport", "Deny", ["s3:*"])
    assert list(statement.principals) == [("*", ["*"])]
    (condition,) = statement.conditions
    assert (condition.test, condition.variable, list(condition.values)) == ("Bool", "aws:SecureTransport", ["false"])


def test_hardened_security_contexts() -> None:
    pod = pod_security_context()
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] == pod["fsGroup"] == 10001
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    container = container_security_context()
    assert container["allowPrivilegeEscalation"] is False and container["readOnlyRootFilesystem"] is True
    assert container["capabilities"] == {"drop": ["ALL"]}
