"""Checks of the Kubernetes objects: CRDs, namespaces, PriorityClasses and
StorageClasses before the objects that need them, and Services that traffic
can reach."""

from __future__ import annotations

from modules.kubernetes_objects import prerequisites
from tools.first_deploy.model import Doc, Model, depends_on, of_kind, transitive
from tools.stacks import split_stack_name

# Cluster-scoped objects every EKS cluster has before anything is deployed.
BUILT_IN = {("Namespace", n) for n in ("default", "kube-system", "kube-public", "kube-node-lease")} | {
    ("PriorityClass", "system-cluster-critical"),
    ("PriorityClass", "system-node-critical"),
}
# API groups Kubernetes serves itself; any other group needs its CRD first.
BUILT_IN_GROUPS = {
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "networking.k8s.io",
    "scheduling.k8s.io",
    "storage.k8s.io",
    "rbac.authorization.k8s.io",
    "admissionregistration.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "node.k8s.io",
}
# Which releases and add-ons install which CRDs (group, kind). tests hold this
# catalogue against the upstream CRDs in ../shared/upstream.
CRDS_BY_HELM_CHART: dict[str, set[tuple[str, str]]] = {
    "karpenter-crd": {
        ("karpenter.sh", "NodePool"),
        ("karpenter.sh", "NodeClaim"),
        ("karpenter.sh", "NodeOverlay"),
        ("karpenter.k8s.aws", "EC2NodeClass"),
        ("autoscaling.x-k8s.io", "CapacityBuffer"),
    },
}
CRDS_BY_EKS_ADDON: dict[str, set[tuple[str, str]]] = {
    "vpc-cni": {("crd.k8s.amazonaws.com", "ENIConfig")},
}


def installed_before(model: Model, stack: str) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(CRDs, cluster-scoped objects) that earlier stacks create."""
    crds: set[tuple[str, str]] = set()
    objects: set[tuple[str, str]] = set(BUILT_IN)
    for earlier in model.before(stack):
        doc = model.docs[earlier]
        crds |= crds_of(doc).keys()
        for body in of_kind(doc, "kubernetes_manifest").values():
            objects.add((body["manifest"]["kind"], body["manifest"]["metadata"]["name"]))
        for body in of_kind(doc, "helm_release").values():
            if body.get("create_namespace"):
                objects.add(("Namespace", body.get("namespace", "default")))
    return crds, objects


def crds_of(doc: Doc) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for address, body in of_kind(doc, "helm_release").items():
        for crd in CRDS_BY_HELM_CHART.get(str(body.get("chart")), set()):
            found[crd] = address
    for address, body in of_kind(doc, "aws_eks_addon").items():
        for crd in CRDS_BY_EKS_ADDON.get(str(body.get("addon_name")), set()):
            found[crd] = address
    return found


def check_kubernetes_objects(model: Model, stack: str, doc: Doc) -> None:
    manifests = of_kind(doc, "kubernetes_manifest")
    if not manifests and not of_kind(doc, "helm_release"):
        return
    earlier_crds, earlier_objects = installed_before(model, stack)
    here_crds = crds_of(doc)
    here = {(b["manifest"]["kind"], b["manifest"]["metadata"]["name"]): a for a, b in manifests.items()}
    for address, body in manifests.items():
        m = body["manifest"]
        group = m["apiVersion"].rpartition("/")[0]
        needs_direct = depends_on(body)
        if group not in BUILT_IN_GROUPS and (group, m["kind"]) not in earlier_crds:
            source = here_crds.get((group, m["kind"]))
            if source is None or source not in transitive(doc, needs_direct):
                model.add(stack, address, "crds", f"the CRD of {group}/{m['kind']} is not installed before it")
        for key in prerequisites(m):
            if key in earlier_objects:
                continue
            source = here.get(key)
            if source is None or source not in needs_direct:
                model.add(stack, address, "namespaces", f"{key[0]} {key[1]} does not exist before it (no depends_on)")
    for address, body in of_kind(doc, "helm_release").items():
        namespace = body.get("namespace", "default")
        if body.get("create_namespace") or ("Namespace", namespace) in earlier_objects:
            continue
        if here.get(("Namespace", namespace)) not in depends_on(body):
            model.add(stack, address, "namespaces", f"Namespace {namespace} does not exist before it (no depends_on)")


def check_traffic(model: Model, stack: str, doc: Doc) -> None:
    """A Service in a namespace that denies all ingress needs a policy that
    admits its target port, or nothing reaches it."""
    env, _ = split_stack_name(stack)
    objects = [
        body["manifest"]
        for name in [*model.before(stack), stack]
        if split_stack_name(name)[0] == env
        for body in of_kind(model.docs[name], "kubernetes_manifest").values()
    ]
    policies = [m for m in objects if m["kind"] == "NetworkPolicy"]
    denied = {
        m["metadata"]["namespace"]
        for m in policies
        if m["spec"].get("podSelector") == {}
        and "Ingress" in m["spec"].get("policyTypes", [])
        and not m["spec"].get("ingress")
    }
    for address, body in of_kind(doc, "kubernetes_manifest").items():
        service = body["manifest"]
        namespace = service["metadata"].get("namespace")
        if service["kind"] != "Service" or namespace not in denied:
            continue
        selector = service["spec"].get("selector", {})
        for port in service["spec"].get("ports", []):
            target = container_port(objects, namespace, selector, port.get("targetPort", port["port"]))
            if not any(admits(p, namespace, selector, target) for p in policies):
                model.add(
                    stack,
                    address,
                    "traffic",
                    f"namespace {namespace} denies all ingress and no policy admits port {target}",
                )


def container_port(objects: list[Doc], namespace: str, selector: dict[str, str], target: int | str) -> int | str:
    """A Service's target port as a number: a named port is looked up in the pods it selects."""
    if isinstance(target, int):
        return target
    for m in objects:
        template = (m.get("spec") or {}).get("template") or {}
        labels = (template.get("metadata") or {}).get("labels", {})
        if m["metadata"].get("namespace") == namespace and selector.items() <= labels.items():
            for container in (template.get("spec") or {}).get("containers", []):
                for port in container.get("ports", []):
                    if port.get("name") == target:
                        return int(port["containerPort"])
    return target


def admits(policy: Doc, namespace: str, selector: dict[str, str], port: int | str) -> bool:
    if policy["metadata"].get("namespace") != namespace:
        return False
    wanted = (policy["spec"].get("podSelector") or {}).get("matchLabels", {})
    if not wanted.items() <= selector.items():
        return False
    for rule in policy["spec"].get("ingress") or []:
        ports = rule.get("ports")
        if not ports or any(p.get("port") in (port, None) for p in ports):
            return True
    return False
