"""Checks of the Kubernetes objects: CRDs, namespaces, PriorityClasses and
StorageClasses before the objects that need them, Services after the webhook
that intercepts them, and Services that traffic can reach."""

from __future__ import annotations

from planning.kubernetes_objects import prerequisites
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
# catalogue against the upstream CRDs in ../shared/upstream where they are there.
CRDS_BY_HELM_CHART: dict[str, set[tuple[str, str]]] = {
    "karpenter-crd": {
        ("karpenter.sh", "NodePool"),
        ("karpenter.sh", "NodeClaim"),
        ("karpenter.sh", "NodeOverlay"),
        ("karpenter.k8s.aws", "EC2NodeClass"),
        ("autoscaling.x-k8s.io", "CapacityBuffer"),
    },
    # Installed from the chart's crds/ folder on first install (Helm never upgrades them).
    "aws-load-balancer-controller": {
        ("elbv2.k8s.aws", "TargetGroupBinding"),
        ("elbv2.k8s.aws", "IngressClassParams"),
        ("elbv2.k8s.aws", "ALBTargetControlConfig"),
        ("aga.k8s.aws", "GlobalAccelerator"),
    },
    # Fairwinds' VPA chart, from its crds/ folder; no upstream copy here, so no test holds it.
    "vpa": {
        ("autoscaling.k8s.io", "VerticalPodAutoscaler"),
        ("autoscaling.k8s.io", "VerticalPodAutoscalerCheckpoint"),
    },
}
CRDS_BY_EKS_ADDON: dict[str, set[tuple[str, str]]] = {
    "vpc-cni": {("crd.k8s.amazonaws.com", "ENIConfig")},
}


# Releases that bring a mutating webhook on every Service created once the release
# exists, refusing them (failurePolicy Fail) until the controller's pods serve it.
SERVICE_WEBHOOK_CHARTS = {"aws-load-balancer-controller"}


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


def webhook_releases(doc: Doc) -> set[str]:
    return {a for a, b in of_kind(doc, "helm_release").items() if b.get("chart") in SERVICE_WEBHOOK_CHARTS}


def check_service_webhooks(model: Model, stack: str, doc: Doc) -> None:
    """In the stack that installs a Service webhook, every other release (charts create
    Services) and every Service must wait for it; another stack of the environment
    that creates them must come after that stack, or before it."""
    env, _ = split_stack_name(stack)
    releases = of_kind(doc, "helm_release")
    services = {a: b for a, b in of_kind(doc, "kubernetes_manifest").items() if b["manifest"]["kind"] == "Service"}
    hooks = webhook_releases(doc)
    for address, body in sorted({**releases, **services}.items()):
        for hook in sorted(hooks - {address} - transitive(doc, depends_on(body))):
            model.add(
                stack,
                address,
                "webhooks",
                f"may create a Service before {hook} serves its Service webhook (failurePolicy Fail): no depends_on",
            )
    for other in model.docs:
        if other == stack or split_stack_name(other)[0] != env or not webhook_releases(model.docs[other]):
            continue
        if other in model.before(stack) or stack in model.before(other):
            continue
        for address in sorted({**releases, **services}):
            model.add(
                stack,
                address,
                "webhooks",
                f"may create a Service while {other} installs its Service webhook: the stacks are not ordered",
            )


def check_traffic(model: Model, stack: str, doc: Doc) -> None:
    """A Service in a namespace that denies all ingress needs a policy that admits
    its target port; if the namespace also denies all egress, its own pods need a
    policy that lets them call that port. Otherwise nothing reaches it."""
    env, _ = split_stack_name(stack)
    objects = [
        body["manifest"]
        for name in [*model.before(stack), stack]
        if split_stack_name(name)[0] == env
        for body in of_kind(model.docs[name], "kubernetes_manifest").values()
    ]
    policies = [m for m in objects if m["kind"] == "NetworkPolicy"]
    for address, body in of_kind(doc, "kubernetes_manifest").items():
        service = body["manifest"]
        namespace = service["metadata"].get("namespace")
        if service["kind"] != "Service":
            continue
        selector = service["spec"].get("selector", {})
        for port in service["spec"].get("ports", []):
            target = container_port(objects, namespace, selector, port.get("targetPort", port["port"]))
            ingress = [
                rule
                for p in policies
                if selects(p, namespace, selector)
                for rule in rules(p, "Ingress")
                if opens(rule, target)
            ]
            if denies_all(policies, namespace, "Ingress") and not ingress:
                missing = f"namespace {namespace} denies all ingress and no policy admits port {target}"
                model.add(stack, address, "traffic", missing)
            elif denies_all(policies, namespace, "Egress") and not any(
                rule
                for p in policies
                if p["metadata"].get("namespace") == namespace
                for rule in rules(p, "Egress")
                if opens(rule, target) and reaches(rule, selector)
            ):
                missing = f"namespace {namespace} denies all egress: its own pods cannot call port {target}"
                model.add(stack, address, "traffic", missing)


def rules(policy: Doc, direction: str) -> list[Doc]:
    found: list[Doc] = policy["spec"].get(direction.lower()) or []
    return found


def denies_all(policies: list[Doc], namespace: str, direction: str) -> bool:
    return any(
        p["metadata"].get("namespace") == namespace
        and p["spec"].get("podSelector") == {}
        and direction in p["spec"].get("policyTypes", [])
        and not rules(p, direction)
        for p in policies
    )


def selects(policy: Doc, namespace: str, labels: dict[str, str]) -> bool:
    wanted = (policy["spec"].get("podSelector") or {}).get("matchLabels", {})
    return bool(policy["metadata"].get("namespace") == namespace and wanted.items() <= labels.items())


def opens(rule: Doc, port: int | str) -> bool:
    ports = rule.get("ports")
    return not ports or any(p.get("port") in (port, None) for p in ports)


def reaches(rule: Doc, labels: dict[str, str]) -> bool:
    """An egress rule lets pods reach pods of their own namespace with these labels."""
    peers = rule.get("to")
    if not peers:
        return True
    return any(
        "namespaceSelector" not in peer
        and "ipBlock" not in peer
        and (peer.get("podSelector") or {}).get("matchLabels", {}).items() <= labels.items()
        for peer in peers
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
