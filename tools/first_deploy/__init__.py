"""A model of the first deploy of every synthesized environment.

Static checks look at one resource at a time; a first deploy fails on order:
something a resource needs does not exist yet when Terraform creates it. This
walks the stacks as `cdktf deploy` does (a stack runs after the stacks it
depends on in cdktf.out/manifest.json; `E-bootstrap` is applied first, by a
person) and checks, per stack and resource, each class of prerequisite:

- identity: the principal CI deploys with holds a cluster-admin access entry,
  and the plan role a read entry, in a stack before any stack that talks to
  the Kubernetes API; a Helm release whose service account EKS Pod Identity
  binds finds the association in an earlier stack;
- reach: the endpoint answers where the workflow runs that stack (an in-VPC
  runner allowed to 443 on the cluster security group, or a public endpoint
  open to GitHub-hosted runners);
- crds: a custom resource's CRD is installed by an earlier stack, or earlier
  in the same stack through `depends_on`;
- namespaces: a namespaced object's namespace, and the PriorityClass or
  StorageClass it names, exist before it (built in, earlier stack, or
  `depends_on` in the same stack);
- webhooks: in the stack that installs the AWS Load Balancer Controller (whose
  webhook refuses every new Service until its pods serve it), every other Helm
  release and every Service depends on it, and another stack of the
  environment that creates them comes after that stack (or before it);
- node-networking: with VPC CNI custom networking the ENIConfigs come with the
  vpc-cni add-on, and node groups wait for it;
- iam: a cluster or node group depends on its role's policy attachments (they
  must exist before it, and outlive it on destroy);
- state: every S3 backend and remote-state read names the state KMS key;
- data: an EFS file-system policy lets mount-target clients mount (the CSI
  driver mounts without IAM);
- traffic: a Service in a namespace that denies all ingress has a policy that
  admits its target port.

`python -m tools.first_deploy [cdktf.out]` prints one line per finding,
`<stack>: <resource>: [<class>] <what is missing>`, and exits 1 if any.
"""

from __future__ import annotations

from pathlib import Path

from tools.first_deploy.access import check_identity, check_pod_identity, check_reach
from tools.first_deploy.infrastructure import check_data, check_iam, check_node_networking, check_state
from tools.first_deploy.kubernetes import (
    CRDS_BY_EKS_ADDON,
    CRDS_BY_HELM_CHART,
    check_kubernetes_objects,
    check_service_webhooks,
    check_traffic,
)
from tools.first_deploy.model import Finding, Model
from tools.stacks import is_kubernetes_stack, ordered_stacks

__all__ = ["CRDS_BY_EKS_ADDON", "CRDS_BY_HELM_CHART", "Finding", "check"]


def check(outdir: Path) -> list[Finding]:
    model = Model(outdir)
    for stack in ordered_stacks(model.manifest):
        doc = model.docs[stack]
        check_state(model, stack, doc)
        check_iam(model, stack, doc)
        check_node_networking(model, stack, doc)
        check_data(model, stack, doc)
        if is_kubernetes_stack(doc):
            check_identity(model, stack)
            check_reach(model, stack)
        check_kubernetes_objects(model, stack, doc)
        check_service_webhooks(model, stack, doc)
        check_pod_identity(model, stack, doc)
        check_traffic(model, stack, doc)
    return model.findings
