"""The first-deploy model (tools/first_deploy/): clean on the shipped
environments, and each class of prerequisite fails with one line naming the
stack, the resource and what is missing when the synthesized output is broken
the way the defects it was built for broke it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conformance.upstream import require
from tests.conftest import UPSTREAM, Synth
from tools.first_deploy import CRDS_BY_EKS_ADDON, CRDS_BY_HELM_CHART, check

Doc = dict[str, Any]


def test_every_shipped_environment_deploys_in_order(synth: Synth) -> None:
    assert [str(f) for f in check(synth.outdir)] == []


def broken(synth: Synth, tmp_path: Path, stack: str, edit: Callable[[Doc], None]) -> list[str]:
    """The model's findings on a copy of the synth with one stack's JSON edited."""
    out = tmp_path / "cdktf.out"
    shutil.copytree(synth.outdir, out)
    path = out / "stacks" / stack / "cdk.tf.json"
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))
    return [str(f) for f in check(out)]


def only(doc: Doc, kind: str, match: Callable[[Doc], bool]) -> tuple[str, Doc]:
    (found,) = [(name, body) for name, body in doc["resource"][kind].items() if match(body)]
    return found


def test_state_written_without_the_state_key(synth: Synth, tmp_path: Path) -> None:
    def edit(doc: Doc) -> None:
        del doc["terraform"]["backend"]["s3"]["kms_key_id"]

    assert broken(synth, tmp_path, "dev-network", edit) == [
        "dev-network: terraform.backend.s3: [state] no kms_key_id: state is written SSE-S3, not with the state key"
    ]


def test_cluster_created_before_its_role_may_act(synth: Synth, tmp_path: Path) -> None:
    def edit(doc: Doc) -> None:
        cluster = next(iter(doc["resource"]["aws_eks_cluster"].values()))
        cluster["depends_on"] = [d for d in cluster["depends_on"] if "policy_attachment" not in d]

    (line,) = broken(synth, tmp_path, "staging-cluster", edit)
    assert line.startswith("staging-cluster: aws_eks_cluster.") and "[iam]" in line
    assert "AmazonEKSClusterPolicy" in line


def test_custom_networking_without_eni_configs_deadlocks(synth: Synth, tmp_path: Path) -> None:
    def edit(doc: Doc) -> None:
        cni = doc["resource"]["aws_eks_addon"]["vpc-cni"]
        values = json.loads(cni["configuration_values"])
        del values["eniConfig"]
        cni["configuration_values"] = json.dumps(values)

    assert broken(synth, tmp_path, "prod-cluster", edit) == [
        "prod-cluster: aws_eks_addon.vpc-cni: [node-networking] custom networking without ENIConfigs in the "
        "add-on's eniConfig: ipamd attaches no ENI, nodes never get ready"
    ]


def test_nodes_that_do_not_wait_for_the_cni(synth: Synth, tmp_path: Path) -> None:
    def edit(doc: Doc) -> None:
        group = next(iter(doc["resource"]["aws_eks_node_group"].values()))
        group["depends_on"].remove("aws_eks_addon.vpc-cni")

    (line,) = broken(synth, tmp_path, "dev-cluster", edit)
    assert line.startswith("dev-cluster: aws_eks_node_group.") and "[node-networking]" in line


def test_deploy_role_without_cluster_admin(synth: Synth, tmp_path: Path) -> None:
    def edit(doc: Doc) -> None:
        name, _ = only(
            doc,
            "aws_eks_access_policy_association",
            lambda b: "admin-role-prod-platform-ci-deploy" in b["principal_arn"],
        )
        del doc["resource"]["aws_eks_access_policy_association"][name]

    lines = broken(synth, tmp_path, "prod-cluster", edit)
    assert lines == [
        f"prod-{layer}: provider: [identity] CI role prod-platform-ci-deploy has no cluster-admin access entry "
        "in an earlier stack"
        for layer in ("addons", "platform", "apps")
    ]


def test_plan_role_without_read_access(synth: Synth, tmp_path: Path) -> None:
    def edit(doc: Doc) -> None:
        name, _ = only(doc, "aws_eks_access_entry", lambda b: b["principal_arn"].endswith("role/dev-platform-ci-plan"))
        del doc["resource"]["aws_eks_access_entry"][name]

    lines = broken(synth, tmp_path, "dev-cluster", edit)
    assert len(lines) == 3 and all("CI role dev-platform-ci-plan has no read access entry" in line for line in lines)


def test_kubernetes_jobs_where_the_endpoint_does_not_answer(synth: Synth, tmp_path: Path) -> None:
    def edit(doc: Doc) -> None:  # no in-VPC runner: the jobs fall back to GitHub-hosted runners
        del doc["output"]["ci_runner_project"]

    lines = broken(synth, tmp_path, "prod-cluster", edit)
    assert lines[0] == (
        "prod-addons: provider: [reach] runs on GitHub-hosted runners but the endpoint is private or "
        "allow-listed: they cannot reach it"
    )
    assert len(lines) == 3


def test_runner_not_allowed_to_the_api(synth: Synth, tmp_path: Path) -> None:
    def edit(doc: Doc) -> None:
        name, _ = only(doc, "aws_vpc_security_group_ingress_rule", lambda b: "cluster_security_group_id" in str(b))
        del doc["resource"]["aws_vpc_security_group_ingress_rule"][name]

    lines = broken(synth, tmp_path, "staging-cluster", edit)
    assert len(lines) == 3
    assert all(
        line.startswith("staging-") and "aws_codebuild_project.ci-runner_project_" in line and "443" in line
        for line in lines
    )


def test_custom_resources_before_their_crds(synth: Synth, tmp_path: Path) -> None:
    out = tmp_path / "cdktf.out"
    shutil.copytree(synth.outdir, out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["stacks"]["dev-platform"]["dependencies"].remove("dev-addons")  # in parallel with the CRDs
    (out / "manifest.json").write_text(json.dumps(manifest))
    lines = [str(f) for f in check(out)]
    crd_lines = [line for line in lines if "[crds]" in line]
    assert {line.split(": [crds] ")[1] for line in crd_lines} == {
        "the CRD of karpenter.k8s.aws/EC2NodeClass is not installed before it",
        "the CRD of karpenter.sh/NodePool is not installed before it",
    }
    assert all(line.startswith("dev-platform: kubernetes_manifest.karpenter_node") for line in crd_lines)


def test_workload_advice_without_the_vpa_release(synth: Synth, tmp_path: Path) -> None:
    def edit(doc: Doc) -> None:
        name, _ = only(doc, "helm_release", lambda b: b["chart"] == "vpa")
        del doc["resource"]["helm_release"][name]

    (line,) = broken(synth, tmp_path, "dev-addons", edit)
    assert line.startswith("dev-apps: kubernetes_manifest.podinfo_verticalpodautoscaler-web-podinfo_")
    assert line.endswith("[crds] the CRD of autoscaling.k8s.io/VerticalPodAutoscaler is not installed before it")


def test_releases_racing_the_service_webhook(synth: Synth, tmp_path: Path) -> None:
    def edit(doc: Doc) -> None:  # the addons stack as it was: Karpenter in parallel with the controller
        _, crds = only(doc, "helm_release", lambda b: b["chart"] == "karpenter-crd")
        del crds["depends_on"]

    lines = broken(synth, tmp_path, "prod-addons", edit)
    assert [line.split(": ")[1].rsplit("_", 1)[0] for line in lines] == [
        "helm_release.karpenter_controller",
        "helm_release.karpenter_crds",
    ]
    assert all(
        line.endswith(
            "[webhooks] may create a Service before helm_release.aws-load-balancer-controller serves its Service "
            "webhook (failurePolicy Fail): no depends_on"
        )
        for line in lines
    )


def test_a_stack_racing_the_one_with_the_service_webhook(synth: Synth, tmp_path: Path) -> None:
    out = tmp_path / "cdktf.out"
    shutil.copytree(synth.outdir, out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["stacks"]["dev-apps"]["dependencies"] = ["dev-cluster"]  # in parallel with dev-addons
    (out / "manifest.json").write_text(json.dumps(manifest))
    lines = [str(f) for f in check(out) if "[webhooks]" in str(f)]
    (line,) = lines
    assert line.startswith("dev-apps: kubernetes_manifest.podinfo_service-web-podinfo_")
    assert line.endswith(
        "[webhooks] may create a Service while dev-addons installs its Service webhook: the stacks are not ordered"
    )


def test_objects_racing_their_namespace_and_priority_class(synth: Synth, tmp_path: Path) -> None:
    def edit(doc: Doc) -> None:
        del doc["resource"]["kubernetes_manifest"]["deployment-overprovisioning-placeholder"]["depends_on"]

    assert broken(synth, tmp_path, "staging-platform", edit) == [
        "staging-platform: kubernetes_manifest.deployment-overprovisioning-placeholder: [namespaces] "
        f"{kind} overprovisioning does not exist before it (no depends_on)"
        for kind in ("Namespace", "PriorityClass")
    ]


def test_efs_policy_that_denies_every_mount(synth: Synth, tmp_path: Path) -> None:
    def edit(doc: Doc) -> None:  # the policy as it was: the TLS Deny alone
        (policy,) = doc["resource"]["aws_efs_file_system_policy"].values()
        name = policy["policy"].removeprefix("${data.aws_iam_policy_document.").removesuffix(".json}")
        statements = doc["data"]["aws_iam_policy_document"][name]["statement"]
        statements[:] = [s for s in statements if s["effect"] == "Deny"]

    (line,) = broken(synth, tmp_path, "prod-storage", edit)
    assert line.startswith("prod-storage: aws_efs_file_system_policy.")
    assert line.endswith("[data] the file-system policy allows no mount: every CSI driver mount is denied")


def test_service_nothing_can_reach(synth: Synth, tmp_path: Path) -> None:
    def edit(doc: Doc) -> None:
        manifests = doc["resource"]["kubernetes_manifest"]
        for name in [n for n, m in manifests.items() if m["manifest"]["kind"] == "NetworkPolicy"]:
            del manifests[name]

    (line,) = broken(synth, tmp_path, "dev-apps", edit)
    assert line.startswith("dev-apps: kubernetes_manifest.podinfo_service-web-podinfo_")
    assert line.endswith("[traffic] namespace web denies all ingress and no policy admits port 9898")


def test_service_its_own_namespace_cannot_call(synth: Synth, tmp_path: Path) -> None:
    def edit(doc: Doc) -> None:  # the team namespace as it was: egress to DNS only
        manifests = doc["resource"]["kubernetes_manifest"]
        (name,) = [n for n, m in manifests.items() if m["manifest"]["metadata"]["name"] == "allow-egress-in-namespace"]
        del manifests[name]

    (line,) = broken(synth, tmp_path, "dev-platform", edit)
    assert line.startswith("dev-apps: kubernetes_manifest.podinfo_service-web-podinfo_")
    assert line.endswith("[traffic] namespace web denies all egress: its own pods cannot call port 9898")


@pytest.mark.parametrize(
    ("catalogue", "upstream_crds"),
    [
        (CRDS_BY_HELM_CHART["karpenter-crd"], UPSTREAM / "karpenter" / "1.14.1" / "crds"),
        (CRDS_BY_EKS_ADDON["vpc-cni"], UPSTREAM / "aws-vpc-cni" / "1.22.4" / "crds"),
        (
            CRDS_BY_HELM_CHART["aws-load-balancer-controller"],
            UPSTREAM / "aws-load-balancer-controller" / "3.5.0" / "crds.yaml",
        ),
    ],
)
def test_crd_catalogue_matches_upstream(catalogue: set[tuple[str, str]], upstream_crds: Path) -> None:
    found = set()
    require(upstream_crds)
    for path in [upstream_crds] if upstream_crds.is_file() else sorted(upstream_crds.glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if crd and crd.get("kind") == "CustomResourceDefinition":
                found.add((crd["spec"]["group"], crd["spec"]["names"]["kind"]))
    assert catalogue == found


def write_synth(out: Path, stacks: dict[str, Doc], dependencies: dict[str, list[str]]) -> Path:
    """A minimal cdktf.out: a manifest and one cdk.tf.json per stack."""
    entries = {}
    for name, doc in stacks.items():
        (out / "stacks" / name).mkdir(parents=True)
        (out / "stacks" / name / "cdk.tf.json").write_text(json.dumps(doc))
        entries[name] = {
            "synthesizedStackPath": f"stacks/{name}/cdk.tf.json",
            "dependencies": dependencies.get(name, []),
        }
    (out / "manifest.json").write_text(json.dumps({"stacks": entries}))
    return out


@pytest.mark.parametrize("ordered", [True, False])
def test_custom_resource_in_the_stack_that_installs_its_crd(tmp_path: Path, ordered: bool) -> None:
    crds = {"chart": "karpenter-crd", "name": "karpenter-crd", "namespace": "kube-system"}
    controller = {
        "chart": "karpenter",
        "name": "karpenter",
        "namespace": "kube-system",
        "depends_on": ["helm_release.crds"],
    }
    pool: Doc = {"manifest": {"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "default"}}}
    if ordered:  # through the controller, which waits for the CRDs
        pool["depends_on"] = ["helm_release.controller"]
    doc = {
        "terraform": {"backend": {"local": {"path": "x"}}},
        "provider": {"aws": [{"region": "eu-west-1"}]},
        "resource": {"helm_release": {"crds": crds, "controller": controller}, "kubernetes_manifest": {"pool": pool}},
    }
    lines = [str(f) for f in check(write_synth(tmp_path / "out", {"e-addons": doc}, {}))]
    expected = (
        []
        if ordered
        else ["e-addons: kubernetes_manifest.pool: [crds] the CRD of karpenter.sh/NodePool is not installed before it"]
    )
    assert lines == expected


@pytest.mark.parametrize("earlier", [True, False])
def test_pod_identity_association_before_the_release(tmp_path: Path, earlier: bool) -> None:
    release = {
        "chart": "aws-load-balancer-controller",
        "name": "aws-load-balancer-controller",
        "namespace": "kube-system",
        "values": [json.dumps({"serviceAccount": {"name": "aws-load-balancer-controller"}})],
    }
    association = {
        "cluster_name": "e-platform",
        "namespace": "kube-system",
        "service_account": "aws-load-balancer-controller",
        "role_arn": "arn:aws:iam::111111111111:role/x",
    }
    base = {"terraform": {"backend": {"local": {"path": "x"}}}, "provider": {"aws": [{"region": "eu-west-1"}]}}
    cluster: Doc = {**base, "resource": {"aws_eks_pod_identity_association": {"lbc": association}} if earlier else {}}
    addons: Doc = {**base, "resource": {"helm_release": {"lbc": release}}}
    if not earlier:
        addons["resource"]["aws_eks_pod_identity_association"] = {"lbc": association}
    out = write_synth(tmp_path / "out", {"e-cluster": cluster, "e-addons": addons}, {"e-addons": ["e-cluster"]})
    lines = [str(f) for f in check(out)]
    expected = (
        []
        if earlier
        else [
            "e-addons: helm_release.lbc: [identity] service account kube-system/aws-load-balancer-controller "
            "is bound by EKS Pod Identity only in this or a later stack"
        ]
    )
    assert lines == expected
