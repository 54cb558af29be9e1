"""Names that several features share, in one place: tags that AWS controllers
discover resources by, the labels and taint of the system nodes, the team
label, managed-policy names. A feature imports these from here, never from a
sibling feature, so a name changes in one place."""

from __future__ import annotations

PROJECT = "eks-platform"  # the Project tag of every resource, the prefix of platform labels
STACK_TAG = "Stack"  # the tag naming the stack that created a resource (every stack's default tags)

# The account's EC2 Spot service-linked role: E-bootstrap may create it; preflight looks for it.
SPOT_SERVICE_LINKED_ROLE = "AWSServiceRoleForEC2Spot"

# Subnet tags: the AWS Load Balancer Controller and Karpenter discover subnets by them.
ELB_ROLE_TAG = "kubernetes.io/role/elb"
INTERNAL_ELB_ROLE_TAG = "kubernetes.io/role/internal-elb"
KARPENTER_DISCOVERY_TAG = "karpenter.sh/discovery"
TIER_TAG = "platform/subnet-tier"

# The IngressClass the AWS Load Balancer Controller creates and serves; workloads' Ingresses name it.
ALB_INGRESS_CLASS = "alb"

# The system node group: cluster-critical pods select it and tolerate its taint.
SYSTEM_NODE_LABEL = ("eks-platform/node-group", "system")
CRITICAL_ADDONS_TAINT = "CriticalAddonsOnly"
# Managed policies of every node role (the node group's and Karpenter's).
NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
)

# Kubernetes labels.
TEAM_LABEL = "eks-platform/team"  # on every team namespace
# On the platform's objects in team namespaces (quota, limits, network policies): an
# admission policy refuses changes to them by anyone but the platform.
PLATFORM_MANAGED_LABEL = ("eks-platform/managed", "true")
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"  # set by Kubernetes: selects a namespace by name

# Provisioners of the CSI drivers' StorageClasses.
EBS_CSI_PROVISIONER = "ebs.csi.aws.com"
EFS_CSI_PROVISIONER = "efs.csi.aws.com"

# EKS access policies.
CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
# Read access to every object, Secrets included: planning a helm_release reads the
# release's Secret (Helm's storage) and a kubernetes_manifest reads the live object
# and its CRD's schema. AmazonEKSViewPolicy leaves Secrets out, so it cannot plan.
CLUSTER_VIEWER_POLICY = "AmazonEKSAdminViewPolicy"
NAMESPACE_EDIT_POLICY = "AmazonEKSEditPolicy"


def access_policy_arn(partition: str, policy: str) -> str:
    return f"arn:{partition}:eks::aws:cluster-access-policy/{policy}"
