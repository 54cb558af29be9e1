"""modules/tenancy: team namespaces (quota, container defaults, default-deny network
policies, namespace-scoped access), workloads (probes, requests and limits required,
hardened pods) and the overprovisioning placeholders, as cdktf unit tests."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from cdktf import TerraformStack, Testing
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider

from modules.base.kubernetes import kubernetes_provider
from modules.best_practices import BestPractices, add_best_practices
from modules.conventions import PLATFORM_MANAGED_LABEL
from modules.tenancy.guard import guard_manifests, session_prefix
from modules.tenancy.ingress import IngressSettings
from modules.tenancy.overprovisioning import is_placeholder, overprovisioning_manifests
from modules.tenancy.teams import TeamNamespace, TeamSettings, team_manifests
from modules.tenancy.workload import Resources, Workload, WorkloadSettings, workload_manifests
from tests.modules.helpers import CLUSTER, PROBE, REGION, SPEC, Doc, cluster_handle, parse, resources

SPEC_TEAM = TeamSettings(
    "web", "4", "8Gi", "8", "16Gi", 10, 5, 5, "10Gi", "100m", "128Mi", "500m", "512Mi",
    principal_arn="arn:aws:iam::123456789012:role/WebTeam",
)  # fmt: skip


@pytest.fixture(scope="module")
def tenancy(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, BestPractices]:
    stack = TerraformStack(Testing.app(outdir=str(tmp_path_factory.mktemp("tenancy"))), "tenancy")
    AwsProvider(stack, "aws", region=REGION)
    cluster = cluster_handle(stack)
    kubernetes_provider(stack, cluster)
    TeamNamespace(stack, "team-web", SPEC_TEAM, cluster=cluster)
    Workload(stack, "api", SPEC)
    rules = add_best_practices(stack)
    return Testing.synth(stack, run_validations=True), rules


@pytest.fixture(scope="module")
def synthesized(tenancy: tuple[str, BestPractices]) -> str:
    return tenancy[0]


def objects(doc: Doc, kind: str) -> list[Doc]:
    """(The resource of) every kubernetes_manifest of a kind."""
    return [r for r in resources(doc, "kubernetes_manifest").values() if r["manifest"]["kind"] == kind]


def test_team_namespace_enforces_the_restricted_pod_security_standard(synthesized: str) -> None:
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "kubernetes_manifest",
        {
            "manifest": {
                "kind": "Namespace",
                "metadata": {
                    "name": "web",
                    "labels": {"eks-platform/team": "web", "pod-security.kubernetes.io/enforce": "restricted"},
                },
            }
        },
    )


def test_team_quota_and_container_defaults(synthesized: str) -> None:
    doc = parse(synthesized)
    (quota,) = objects(doc, "ResourceQuota")
    assert quota["manifest"]["spec"]["hard"] == {
        "requests.cpu": "4",
        "requests.memory": "8Gi",
        "limits.cpu": "8",
        "limits.memory": "16Gi",
        "pods": "10",
        "services": "5",
        "persistentvolumeclaims": "5",
        "requests.storage": "10Gi",
    }
    (limits,) = objects(doc, "LimitRange")
    assert limits["manifest"]["spec"]["limits"] == [
        {
            "type": "Container",
            "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
            "default": {"cpu": "500m", "memory": "512Mi"},
        }
    ]


def test_team_network_policies_deny_by_default(synthesized: str) -> None:
    policies = {
        p["manifest"]["metadata"]["name"]: p["manifest"]["spec"]
        for p in objects(parse(synthesized), "NetworkPolicy")
        if p["manifest"]["metadata"]["name"] != "api-ingress"
    }
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    (dns,) = policies["allow-dns"]["egress"]
    assert dns["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    assert dns["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert policies["allow-egress-in-namespace"] == {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [{"to": [{"podSelector": {}}]}],
    }
    without = dataclasses.replace(SPEC_TEAM, network_policy=False, principal_arn=None)
    assert [m["kind"] for m in team_manifests(without)] == ["Namespace", "ResourceQuota", "LimitRange"]


def test_team_objects_wait_for_their_namespace(synthesized: str) -> None:
    team = {n: r for n, r in resources(parse(synthesized), "kubernetes_manifest").items() if n.startswith("team-web_")}
    ((namespace_name, _),) = [(n, r) for n, r in team.items() if r["manifest"]["kind"] == "Namespace"]
    team_objects = [r for n, r in team.items() if n != namespace_name]
    assert len(team_objects) == 7
    assert all(r["depends_on"] == [f"kubernetes_manifest.{namespace_name}"] for r in team_objects)


def test_team_principal_may_edit_its_namespace_only(synthesized: str) -> None:
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_eks_access_entry",
        {"cluster_name": CLUSTER, "principal_arn": "arn:aws:iam::123456789012:role/WebTeam"},
    )
    (association,) = resources(parse(synthesized), "aws_eks_access_policy_association").values()
    assert association["policy_arn"].endswith(":eks::aws:cluster-access-policy/AmazonEKSEditPolicy")
    assert association["access_scope"] == {"type": "namespace", "namespaces": ["web"]}


def test_team_principal_may_read_its_right_sizing_advice(synthesized: str) -> None:
    """AmazonEKSEditPolicy leaves out autoscaling.k8s.io: a Role bound to a group of the entry adds reading."""
    (entry,) = resources(parse(synthesized), "aws_eks_access_entry").values()
    assert entry["kubernetes_groups"] == ["web-right-sizing-advice"]
    team = [r["manifest"] for r in resources(parse(synthesized), "kubernetes_manifest").values()]
    (role,) = [m for m in team if m["kind"] == "Role"]
    (binding,) = [m for m in team if m["kind"] == "RoleBinding"]
    assert role["metadata"] == {"name": "right-sizing-advice-reader", "namespace": "web"}
    assert role["rules"] == [
        {
            "apiGroups": ["autoscaling.k8s.io"],
            "resources": ["verticalpodautoscalers"],
            "verbs": ["get", "list", "watch"],
        }
    ]
    assert binding["metadata"]["namespace"] == "web"
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["metadata"]["name"],
    }
    assert binding["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "web-right-sizing-advice"}
    ]


def test_workload_objects(synthesized: str) -> None:
    kinds = sorted(
        r["manifest"]["kind"]
        for r in resources(parse(synthesized), "kubernetes_manifest").values()
        if r["manifest"]["metadata"]["name"] in ("api", "api-ingress")
    )
    assert kinds == ["Deployment", "HorizontalPodAutoscaler", "NetworkPolicy", "PodDisruptionBudget", "Service"]


def test_workload_has_every_probe_requests_and_limits(synthesized: str) -> None:
    (deployment,) = objects(parse(synthesized), "Deployment")
    (container,) = deployment["manifest"]["spec"]["template"]["spec"]["containers"]
    assert container["livenessProbe"] == {
        "httpGet": {"path": "/healthz", "port": 8080},
        "initialDelaySeconds": 0,
        "periodSeconds": 10,
        "failureThreshold": 3,
    }
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": 8080}
    assert container["startupProbe"]["failureThreshold"] == 30
    assert container["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "256Mi"},
    }


def test_workload_runs_hardened_and_rolls_without_losing_capacity(synthesized: str) -> None:
    (deployment,) = objects(parse(synthesized), "Deployment")
    spec = deployment["manifest"]["spec"]
    assert "replicas" not in spec  # the HorizontalPodAutoscaler owns it
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}}
    pod = spec["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"
    (container,) = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]  # noqa: S108 - an emptyDir
    assert pod["volumes"] == [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}]


def test_the_rules_find_nothing(tenancy: tuple[str, BestPractices]) -> None:
    _, rules = tenancy
    assert rules.checked["workload"] == 1 and rules.checked["team-namespace"] == 1
    assert rules.violations == []


def test_overprovisioning_placeholders() -> None:
    namespace, priority, deployment = overprovisioning_manifests(3, "1", "2Gi")
    assert namespace["metadata"]["name"] == deployment["metadata"]["namespace"] == "overprovisioning"
    assert priority["value"] < 0 and priority["globalDefault"] is False and priority["preemptionPolicy"] == "Never"
    pod = deployment["spec"]["template"]["spec"]
    assert deployment["spec"]["replicas"] == 3 and pod["priorityClassName"] == priority["metadata"]["name"]
    (container,) = pod["containers"]
    assert container["image"] == "registry.k8s.io/pause:3.10"
    assert container["resources"] == {
        "requests": {"cpu": "1", "memory": "2Gi"},
        "limits": {"cpu": "1", "memory": "2Gi"},
    }
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["automountServiceAccountToken"] is False
    assert is_placeholder(deployment) and not is_placeholder(workload_manifests(SPEC)[0])


def test_the_workload_construct_cannot_be_built_without_probes_or_resources() -> None:
    with pytest.raises(TypeError, match="startup"):
        WorkloadSettings(  # type: ignore[call-arg]
            name="api",
            namespace="web",
            image="a:1",
            port=1,
            liveness=PROBE,
            readiness=PROBE,
            requests=Resources("1", "1Gi"),
            limits=Resources("1", "1Gi"),
        )
    with pytest.raises(TypeError, match="requests"):
        WorkloadSettings(  # type: ignore[call-arg]
            name="api",
            namespace="web",
            image="a:1",
            port=1,
            liveness=PROBE,
            readiness=PROBE,
            startup=PROBE,
            limits=Resources("1", "1Gi"),
        )


def test_workload_construct_builds_five_objects(tmp_path: Path) -> None:
    app = Testing.app(outdir=str(tmp_path))
    stack = TerraformStack(app, "w")
    KubernetesProvider(stack, "kubernetes")
    workload = Workload(stack, "api", SPEC)
    assert len(workload.manifests) == 5


def test_workload_port_admits_the_namespaces_it_names() -> None:
    spec = dataclasses.replace(SPEC, allow_from_namespaces=("ingress-nginx",))
    (policy,) = [m for m in workload_manifests(spec) if m["kind"] == "NetworkPolicy"]
    (rule,) = policy["spec"]["ingress"]
    assert rule["from"] == [
        {"podSelector": {}},
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
    ]
    assert rule["ports"] == [{"protocol": "TCP", "port": SPEC.port}]


# --- the guard on the platform's objects in team namespaces ---


def test_session_prefix_is_what_eks_calls_the_principal() -> None:
    assert session_prefix("arn:aws:iam::123456789012:role/ops/Admin") == (
        "arn:aws:sts::123456789012:assumed-role/Admin/"
    )
    assert session_prefix("arn:aws:iam::123456789012:user/alice") == "arn:aws:iam::123456789012:user/alice"


def test_guard_refuses_changes_to_labelled_objects_by_others() -> None:
    policy, binding = guard_manifests(["arn:aws:sts::1:assumed-role/Deploy/", "arn:aws:sts::1:assumed-role/Deploy/"])
    assert (policy["kind"], binding["kind"]) == ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
    assert binding["spec"] == {"policyName": policy["metadata"]["name"], "validationActions": ["Deny"]}
    spec = policy["spec"]
    assert spec["failurePolicy"] == "Fail"
    assert spec["matchConstraints"]["objectSelector"] == {"matchLabels": {PLATFORM_MANAGED_LABEL[0]: "true"}}
    rules = {r: rule["operations"] for rule in spec["matchConstraints"]["resourceRules"] for r in rule["resources"]}
    assert rules == {r: ["UPDATE", "DELETE"] for r in ("resourcequotas", "limitranges", "networkpolicies")}
    (validation,) = spec["validations"]
    assert validation["expression"].count("arn:aws:sts::1:assumed-role/Deploy/") == 1
    assert "system:serviceaccount:kube-system:" in validation["expression"]


def test_platform_objects_in_team_namespaces_carry_the_managed_label() -> None:
    objects = team_manifests(dataclasses.replace(SPEC_TEAM, network_policy=True))
    labelled = {o["kind"] for o in objects if o["metadata"].get("labels", {}).get(PLATFORM_MANAGED_LABEL[0]) == "true"}
    assert labelled == {"ResourceQuota", "LimitRange", "NetworkPolicy"}
    assert all(PLATFORM_MANAGED_LABEL[0] in o["metadata"]["labels"] for o in objects if o["kind"] == "NetworkPolicy")


def test_workload_ingress_is_internal_by_default_and_admits_the_alb() -> None:
    spec = dataclasses.replace(SPEC, ingress=IngressSettings(source_cidrs=["10.0.0.0/16"], host="api.example.com"))
    by_kind = {m["kind"]: m for m in workload_manifests(spec)}
    ingress = by_kind["Ingress"]
    assert ingress["metadata"]["annotations"] == {
        "alb.ingress.kubernetes.io/scheme": "internal",
        "alb.ingress.kubernetes.io/target-type": "ip",
    }
    assert ingress["spec"]["ingressClassName"] == "alb"
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "api.example.com"
    assert rule["http"]["paths"] == [
        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": SPEC.name, "port": {"name": "http"}}}}
    ]
    (policy_rule,) = by_kind["NetworkPolicy"]["spec"]["ingress"]
    assert policy_rule["from"] == [{"podSelector": {}}, {"ipBlock": {"cidr": "10.0.0.0/16"}}]
    assert policy_rule["ports"] == [{"protocol": "TCP", "port": SPEC.port}]
    public = dataclasses.replace(spec, ingress=IngressSettings(source_cidrs=["10.0.0.0/16"], internet_facing=True))
    (public_ingress,) = [m for m in workload_manifests(public) if m["kind"] == "Ingress"]
    assert public_ingress["metadata"]["annotations"]["alb.ingress.kubernetes.io/scheme"] == "internet-facing"
    assert "host" not in public_ingress["spec"]["rules"][0]
    assert [m for m in workload_manifests(SPEC) if m["kind"] == "Ingress"] == []


def test_workload_right_sizing_advice_is_a_recommendation_only() -> None:
    assert [m for m in workload_manifests(SPEC) if m["kind"] == "VerticalPodAutoscaler"] == []  # needs the CRD
    spec = dataclasses.replace(SPEC, right_sizing_advice=True)
    (advice,) = [m for m in workload_manifests(spec) if m["kind"] == "VerticalPodAutoscaler"]
    assert advice == {
        "apiVersion": "autoscaling.k8s.io/v1",
        "kind": "VerticalPodAutoscaler",
        "metadata": {"name": "api", "namespace": "web", "labels": {"app.kubernetes.io/name": "api"}},
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"},
            # Off: the recommender fills in status; nothing evicts or resizes the pods the HPA scales.
            "updatePolicy": {"updateMode": "Off"},
            "resourcePolicy": {
                "containerPolicies": [{"containerName": "api", "controlledResources": ["cpu", "memory"]}]
            },
        },
    }
