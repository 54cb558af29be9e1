"""Best practices checked at synth, on every stack.

Each rule has an id, names the resource it found, and says why. A violation is
recorded as an error annotation, which makes `app.synth()` fail, and is kept in
`violations` so main.py can print one line per violation.

The rules run as one construct validation per stack rather than as a cdktf
Aspect: an Aspect is called back from Node.js for every construct (about 1,000
round trips through jsii per full synth, ~0.3 s), while a stack validation is
one call that walks the stack's constructs in Python. cdktf runs validations
after all constructs exist and before it writes anything, like Aspects.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import jsii
from cdktf import Annotations, DefaultTokenResolver, StringConcat, TerraformStack, Tokenization
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.eks_node_group import EksNodeGroup
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_kubernetes.manifest import Manifest
from constructs import Construct, IConstruct, IValidation

from modules.conventions import INTERNAL_ELB_ROLE_TAG, KARPENTER_DISCOVERY_TAG, TEAM_LABEL
from modules.tenancy.overprovisioning import is_placeholder

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")

WORKER_SUBNET_TAGS = (INTERNAL_ELB_ROLE_TAG, KARPENTER_DISCOVERY_TAG)


@dataclass(frozen=True)
class Violation:
    rule: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: [{self.rule}] {self.message}"


def is_worker_subnet(subnet: Subnet) -> bool:
    tags = subnet.tags_input or {}
    return any(tag in tags for tag in WORKER_SUBNET_TAGS)


def resolve_in(stack: TerraformStack, token: str | None) -> str:
    """A reference as Terraform would see it from inside `stack`. Two references
    to one attribute are different token strings until resolved; resolving in
    the producer's own stack gives `${aws_subnet.x.id}` even for a value another
    stack consumes through remote state."""
    return str(Tokenization.resolve(token, scope=stack, resolver=DefaultTokenResolver(StringConcat())))


class BestPractices:
    def __init__(self) -> None:
        self.violations: list[Violation] = []
        # How many resources each rule looked at, so tests can tell a rule ran.
        self.checked: Counter[str] = Counter()
        self._worker_subnets: list[tuple[TerraformStack, set[str]]] | None = None

    def report(self, node: IConstruct, rule: str, message: str) -> None:
        self.violations.append(Violation(rule, node.node.path, message))
        Annotations.of(node).add_error(f"[{rule}] {message}")

    def worker_subnet_refs(self, within: IConstruct) -> list[tuple[TerraformStack, set[str]]]:
        """Per stack of the app, the resolved ids of its worker subnets (computed
        once: validations run after every construct exists)."""
        if self._worker_subnets is None:
            self._worker_subnets = []
            for node in within.node.root.node.find_all():
                if isinstance(node, TerraformStack):
                    refs = {
                        resolve_in(node, n.id)
                        for n in node.node.find_all()
                        if isinstance(n, Subnet) and is_worker_subnet(n)
                    }
                    if refs:
                        self._worker_subnets.append((node, refs))
        return self._worker_subnets

    # --- the rules ---

    def check_stack(self, stack: TerraformStack) -> None:
        nodes = stack.node.find_all()
        manifests: list[tuple[Manifest, dict[str, Any]]] = []
        for node in nodes:
            if isinstance(node, CloudwatchLogGroup):
                self._log_group(node)
            elif isinstance(node, EksNodeGroup):
                self._node_group_subnets(stack, node)
            elif isinstance(node, Manifest):
                manifests.append((node, dict(node.manifest_input or {})))
        if any(isinstance(n, Subnet) for n in nodes):
            self._worker_subnets_private(stack, nodes)
        for node, manifest in manifests:
            if manifest.get("kind") in ("Deployment", "StatefulSet"):
                self._workload(node, manifest)
        self._team_namespaces(manifests)

    def _workload(self, node: Manifest, manifest: dict[str, Any]) -> None:
        self.checked["workload"] += 1
        if is_placeholder(manifest):
            # Overprovisioning placeholders run `pause`, which answers no probe and
            # does no work; modules/tenancy/overprovisioning.py:is_placeholder is the only exemption.
            return
        name = f"{manifest['kind']} {manifest['metadata'].get('namespace', 'default')}/{manifest['metadata']['name']}"
        pod = manifest.get("spec", {}).get("template", {}).get("spec", {})
        for container in pod.get("containers", []):
            missing = [p for p in PROBES if not container.get(p)]
            if missing:
                self.report(
                    node,
                    "workload-probes",
                    f"{name}: container {container.get('name')} has no {', '.join(missing)}; every workload "
                    "needs liveness, readiness and startup probes",
                )
            requests = container.get("resources", {}).get("requests", {})
            if not (requests.get("cpu") and requests.get("memory")):
                self.report(
                    node,
                    "workload-requests",
                    f"{name}: container {container.get('name')} has no cpu and memory requests; the scheduler "
                    "and the team quota need them",
                )

    def _team_namespaces(self, manifests: list[tuple[Manifest, dict[str, Any]]]) -> None:
        kinds_in: dict[str, set[str]] = {}
        for _, m in manifests:
            namespace = m.get("metadata", {}).get("namespace")
            if namespace:
                kinds_in.setdefault(namespace, set()).add(m.get("kind", ""))
        for node, m in manifests:
            labels = m.get("metadata", {}).get("labels", {})
            if m.get("kind") != "Namespace" or TEAM_LABEL not in labels:
                continue
            self.checked["team-namespace"] += 1
            missing = {"ResourceQuota", "LimitRange"} - kinds_in.get(m["metadata"]["name"], set())
            if missing:
                self.report(
                    node,
                    "team-namespace-limits",
                    f"team namespace {m['metadata']['name']} has no {' and no '.join(sorted(missing))}; "
                    "one team's runaway could take the whole cluster",
                )

    def _log_group(self, node: CloudwatchLogGroup) -> None:
        self.checked["log-group"] += 1
        if not node.retention_in_days_input:
            self.report(
                node, "log-group-retention", "log group has no retention; logs would be kept (and billed) forever"
            )
        if not node.kms_key_id_input:
            self.report(node, "log-group-kms", "log group is not encrypted with a customer-managed KMS key")

    def _worker_subnets_private(self, stack: TerraformStack, nodes: list[IConstruct]) -> None:
        def ref(token: str | None) -> str:
            return resolve_in(stack, token)

        igw_ids = {ref(n.id) for n in nodes if isinstance(n, InternetGateway)}
        tables_to_igw = {
            ref(n.route_table_id_input) for n in nodes if isinstance(n, Route) and ref(n.gateway_id_input) in igw_ids
        }
        tables_of_subnet: dict[str, set[str]] = {}
        for n in nodes:
            if isinstance(n, RouteTableAssociation) and n.subnet_id_input:
                tables_of_subnet.setdefault(ref(n.subnet_id_input), set()).add(ref(n.route_table_id_input))
        for n in nodes:
            if not (isinstance(n, Subnet) and is_worker_subnet(n)):
                continue
            self.checked["worker-subnet-routes"] += 1
            if n.map_public_ip_on_launch_input is True:
                self.report(
                    n,
                    "worker-subnet-private",
                    "a worker subnet assigns public IPs on launch; nodes must not be reachable from the internet",
                )
            if tables_of_subnet.get(ref(n.id), set()) & tables_to_igw:
                self.report(
                    n,
                    "worker-subnet-private",
                    "a worker subnet routes to an internet gateway; nodes and pods belong in private "
                    "subnets that egress through NAT",
                )

    def _node_group_subnets(self, stack: TerraformStack, group: EksNodeGroup) -> None:
        self.checked["node-group-subnets"] += 1
        workers = self.worker_subnet_refs(stack)
        for token in group.subnet_ids_input or []:
            if not any(resolve_in(producer, token) in refs for producer, refs in workers):
                self.report(
                    group,
                    "node-group-private-subnets",
                    "a node group uses a subnet that is not one of the private worker subnets; "
                    "nodes belong in private subnets only",
                )
                return


@jsii.implements(IValidation)
class _StackValidation:
    def __init__(self, stack: TerraformStack, rules: BestPractices) -> None:
        self._stack = stack
        self._rules = rules

    def validate(self) -> list[str]:
        self._rules.check_stack(self._stack)
        return []  # reported as error annotations, which fail synth with the rest


def add_best_practices(scope: Construct) -> BestPractices:
    """Applies the rules to every stack under `scope`; call it once all stacks exist."""
    rules = BestPractices()
    for node in scope.node.find_all():
        if isinstance(node, TerraformStack):
            node.node.add_validation(_StackValidation(node, rules))
    return rules
