"""What the construct unit tests share: a cluster handle made of literal strings, a
sample workload, and plain reads of `Testing.synth` output (a JSON string without
the `//` metadata) for the nested values the property matchers cannot reach."""

from __future__ import annotations

import json
from typing import Any

from constructs import Construct

from modules.base.cluster import ClusterHandle
from modules.base.kms import AccountContext
from modules.tenancy.workload import ProbeSpec, Resources, WorkloadSettings

REGION = "eu-west-1"
CLUSTER = "demo"
CLUSTER_SG = "sg-0123456789abcdef0"

Doc = dict[str, Any]


def cluster_handle(scope: Construct) -> ClusterHandle:
    """The handle a construct takes for its cluster, as the cluster stack would build it,
    but from literal strings: the construct under test then stands alone in its stack."""
    return ClusterHandle(
        name=CLUSTER,
        name_ref=CLUSTER,
        region=REGION,
        account=AccountContext(scope, "account"),
        security_group_id=CLUSTER_SG,
        endpoint="https://demo.eks.example",
        certificate_authority_data="Y2E=",
    )


PROBE = ProbeSpec(port=8080, path="/healthz")
SPEC = WorkloadSettings(
    name="api",
    namespace="web",
    image="example/api:1.2.3",
    port=8080,
    liveness=PROBE,
    readiness=ProbeSpec(port=8080, path="/readyz"),
    startup=ProbeSpec(port=8080, path="/healthz", failure_threshold=30),
    requests=Resources("100m", "128Mi"),
    limits=Resources("500m", "256Mi"),
)


def parse(synthesized: str) -> Doc:
    doc: Doc = json.loads(synthesized)
    return doc


def resources(doc: Doc, kind: str) -> dict[str, Doc]:
    found: dict[str, Doc] = doc.get("resource", {}).get(kind, {})
    return found


def data(doc: Doc, kind: str) -> dict[str, Doc]:
    found: dict[str, Doc] = doc.get("data", {}).get(kind, {})
    return found


def only(doc: Doc, kind: str) -> tuple[str, Doc]:
    """The one resource of a kind: (logical name, body)."""
    ((name, body),) = resources(doc, kind).items()
    return name, body


def named(doc: Doc, kind: str, construct_id: str) -> tuple[str, Doc]:
    """The one resource of a kind whose logical name holds a construct id (cdktf names
    resources `<parent ids>_<id>_<hash>`)."""
    ((name, body),) = [(n, b) for n, b in resources(doc, kind).items() if f"_{construct_id}_" in f"_{n}_"]
    return name, body


def ref(kind: str, name: str, attribute: str) -> str:
    return f"${{{kind}.{name}.{attribute}}}"


def policy(doc: Doc, reference: str) -> Doc:
    """The aws_iam_policy_document a `${data.aws_iam_policy_document.X.json}` reference points at."""
    name = reference.removeprefix("${data.aws_iam_policy_document.").removesuffix(".json}")
    return data(doc, "aws_iam_policy_document")[name]


def statements(doc: Doc, reference: str) -> dict[str, Doc]:
    """The statements of a policy document reference, by sid."""
    return {s["sid"]: s for s in policy(doc, reference)["statement"]}
