"""An admission guard on the objects the platform puts in team namespaces: their
ResourceQuota, LimitRange and NetworkPolicies (labelled `eks-platform/managed`)
may be changed or deleted only by the platform's own principals.

A team's access entry gives it edit rights in its namespace, which include those
objects: without the guard a team could lift its own quota or open its network.

Who may (anything else is refused, UPDATE and DELETE; CREATE is not matched):
- the platform's IAM principals, as EKS access entries name them to Kubernetes: an
  IAM role's username is its assumed-role session ARN
  (`arn:<partition>:sts::<account>:assumed-role/<role name>/<session>`, the role's
  path dropped), an IAM user's is the user's ARN;
- Kubernetes itself: users named `system:...` that are not service accounts (the
  control plane's components), service accounts of `kube-system` (the namespace
  and garbage-collector controllers delete these objects with their namespace),
  and the `system:masters` group.

Limits: the principal list is fixed at synth, so a cluster admin not listed (a
break-glass role) is refused too, until it deletes the binding (cluster admins
may; the guard stops mistakes and teams, not admins); an object that loses the
label in an UPDATE is still matched (the old object carries it), but one created
without it is not guarded; a `kube-system` service account a team could use
would pass (teams get no rights there). Needs Kubernetes 1.30 or newer (v1 API).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from modules.conventions import PLATFORM_MANAGED_LABEL

POLICY_NAME = "eks-platform-protect-team-guardrails"
API = "admissionregistration.k8s.io/v1"


def session_prefix(principal_arn: str) -> str:
    """The username prefix (role) or username (user) EKS gives an IAM principal's requests."""
    arn, partition, _iam, _region, account, resource = principal_arn.split(":", 5)
    kind, _, path_and_name = resource.partition("/")
    if kind == "role":
        return f"{arn}:{partition}:sts::{account}:assumed-role/{path_and_name.rsplit('/', 1)[-1]}/"
    return principal_arn


def allowed_expression(prefixes: Sequence[str]) -> str:
    """CEL, true when the request's user may change or delete a guarded object."""
    user = "request.userInfo.username"
    return " || ".join(
        [
            f"({user}.startsWith('system:') && !{user}.startsWith('system:serviceaccount:'))",
            f"{user}.startsWith('system:serviceaccount:kube-system:')",
            "(has(request.userInfo.groups) && request.userInfo.groups.exists(g, g == 'system:masters'))",
            f"{json.dumps(sorted(set(prefixes)))}.exists(p, {user} == p || ({user}.startsWith(p) && p.endsWith('/')))",
        ]
    )


def guard_manifests(prefixes: Sequence[str]) -> list[dict[str, Any]]:
    """The policy and its binding; `prefixes` from `session_prefix` (Terraform references allowed)."""
    key, value = PLATFORM_MANAGED_LABEL
    policy = {
        "apiVersion": API,
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": POLICY_NAME},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {
                "objectSelector": {"matchLabels": {key: value}},
                "resourceRules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "operations": ["UPDATE", "DELETE"],
                        "resources": ["resourcequotas", "limitranges"],
                    },
                    {
                        "apiGroups": ["networking.k8s.io"],
                        "apiVersions": ["v1"],
                        "operations": ["UPDATE", "DELETE"],
                        "resources": ["networkpolicies"],
                    },
                ],
            },
            "validations": [
                {
                    "expression": allowed_expression(prefixes),
                    "message": "platform-managed object: only the platform's principals may change or delete it "
                    "(change it in the environment file)",
                    "reason": "Forbidden",
                }
            ],
        },
    }
    binding = {
        "apiVersion": API,
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": POLICY_NAME},
        "spec": {"policyName": POLICY_NAME, "validationActions": ["Deny"]},
    }
    return [policy, binding]
