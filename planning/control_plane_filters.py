"""What to watch in the EKS control-plane logs (pure data, no cdktf).

Each filter turns matching log events into a CloudWatch metric (one per event),
gets an alarm, and comes with the Logs Insights query that investigates it.
The schema imports this module to validate per-environment alarm thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ControlPlaneFilter:
    name: str
    log_type: str  # the control-plane log type whose events it reads
    pattern: str  # CloudWatch Logs filter pattern
    catches: str
    default_threshold: int  # events per alarm period
    query: str  # CloudWatch Logs Insights query to investigate an alarm


_RBAC = (
    '($.objectRef.resource = "roles" || $.objectRef.resource = "clusterroles" || '
    '$.objectRef.resource = "rolebindings" || $.objectRef.resource = "clusterrolebindings")'
)
_WRITE = '($.verb = "create" || $.verb = "update" || $.verb = "patch" || $.verb = "delete")'

FILTERS: tuple[ControlPlaneFilter, ...] = (
    ControlPlaneFilter(
        name="Unauthorized401",
        log_type="audit",
        pattern="{ $.responseStatus.code = 401 }",
        catches="requests with missing or invalid credentials (expired tokens, scanners)",
        default_threshold=20,
        query="fields @timestamp, sourceIPs.0, userAgent, requestURI | filter responseStatus.code = 401 "
        "| stats count(*) as requests by sourceIPs.0, userAgent | sort requests desc | limit 20",
    ),
    ControlPlaneFilter(
        name="Forbidden403",
        log_type="audit",
        pattern="{ $.responseStatus.code = 403 }",
        catches="authenticated callers denied by RBAC (misconfigured service accounts, probing)",
        default_threshold=50,
        query="fields user.username, verb, objectRef.resource | filter responseStatus.code = 403 "
        "| stats count(*) as denied by user.username, verb, objectRef.resource | sort denied desc | limit 20",
    ),
    ControlPlaneFilter(
        name="RbacChanges",
        log_type="audit",
        pattern=f"{{ {_RBAC} && {_WRITE} }}",
        catches="create/update/patch/delete of Roles, ClusterRoles, RoleBindings, ClusterRoleBindings",
        default_threshold=1,
        query="fields @timestamp, user.username, verb, objectRef.resource, objectRef.namespace, objectRef.name "
        '| filter objectRef.resource in ["roles", "clusterroles", "rolebindings", "clusterrolebindings"] '
        'and verb in ["create", "update", "patch", "delete"] | sort @timestamp desc | limit 100',
    ),
    ControlPlaneFilter(
        name="AwsAuthConfigMapChanges",
        log_type="audit",
        pattern='{ $.objectRef.resource = "configmaps" && $.objectRef.name = "aws-auth" && '
        f'$.objectRef.namespace = "kube-system" && {_WRITE} }}',
        catches="changes to the legacy aws-auth ConfigMap (unused with access entries, so any change is suspect)",
        default_threshold=1,
        query='fields @timestamp, user.username, verb, sourceIPs.0 | filter objectRef.resource = "configmaps" '
        'and objectRef.name = "aws-auth" and verb != "get" and verb != "list" and verb != "watch" '
        "| sort @timestamp desc",
    ),
    ControlPlaneFilter(
        name="PodExecAttachPortForward",
        log_type="audit",
        pattern='{ $.objectRef.resource = "pods" && ($.objectRef.subresource = "exec" || '
        '$.objectRef.subresource = "attach" || $.objectRef.subresource = "portforward") }',
        catches="interactive access into running pods (kubectl exec, attach, port-forward)",
        default_threshold=1,
        query="fields @timestamp, user.username, objectRef.namespace, objectRef.name, objectRef.subresource "
        '| filter objectRef.resource = "pods" and objectRef.subresource in ["exec", "attach", "portforward"] '
        "| sort @timestamp desc | limit 100",
    ),
    ControlPlaneFilter(
        name="AnonymousRequests",
        log_type="audit",
        pattern='{ $.user.username = "system:anonymous" }',
        catches="requests made without any identity",
        default_threshold=1,
        query="fields @timestamp, sourceIPs.0, verb, requestURI, responseStatus.code | filter user.username = "
        '"system:anonymous" | sort @timestamp desc | limit 100',
    ),
    ControlPlaneFilter(
        name="ApiServer5xx",
        log_type="audit",
        pattern="{ $.responseStatus.code >= 500 }",
        catches="API server errors (overload, failing webhooks, etcd trouble): a control-plane problem",
        default_threshold=10,
        query="fields @timestamp, verb, requestURI, responseStatus.code, responseStatus.message "
        "| filter responseStatus.code >= 500 | stats count(*) as errors by responseStatus.code, verb, "
        "objectRef.resource | sort errors desc",
    ),
    ControlPlaneFilter(
        name="AuthenticatorAccessDenied",
        log_type="authenticator",
        pattern='"access denied"',
        catches="IAM identities the authenticator refused (no access entry, wrong account or role)",
        default_threshold=10,
        query="fields @timestamp, @message | filter @logStream like /authenticator/ and @message like "
        "/access denied/ | sort @timestamp desc | limit 100",
    ),
)

FILTER_NAMES: tuple[str, ...] = tuple(f.name for f in FILTERS)
