"""Building blocks of the environment schema: the frozen base model, the
`FieldError` that names a setting, and the validated value types (CIDRs,
account ids, retention days, quantities, ...) with the fixed sets they check against."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from envs.regions import check_region, region_json_schema
from planning.quantities import parse_quantity

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
# 0 ("never expire") is left out on purpose: every log group gets a retention.
CLOUDWATCH_RETENTION_DAYS: tuple[int, ...] = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

# Kubernetes versions this project is tested against; EKS versions outside this
# set are refused rather than guessed at.
SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = ("1.32", "1.33", "1.34", "1.35")

LogType = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]
CONTROL_PLANE_LOG_TYPES: tuple[LogType, ...] = ("api", "audit", "authenticator", "controllerManager", "scheduler")

# Instance categories Karpenter's `karpenter.k8s.aws/instance-category` label takes.
INSTANCE_CATEGORIES: tuple[str, ...] = (
    "a",
    "c",
    "d",
    "f",
    "g",
    "hpc",
    "i",
    "im",
    "inf",
    "is",
    "m",
    "p",
    "r",
    "t",
    "trn",
    "u",
    "vt",
    "x",
    "z",
)

# EKS add-ons the cluster stack installs; versions may be pinned per environment.
AddonName = Literal[
    "vpc-cni",
    "kube-proxy",
    "eks-pod-identity-agent",
    "coredns",
    "metrics-server",
    "aws-ebs-csi-driver",
    "aws-efs-csi-driver",
    "amazon-cloudwatch-observability",
]

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IAM_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:(role|user|assumed-role)/[\w+=,.@/-]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONNECTION_ARN = re.compile(
    r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/[0-9a-f-]{36}$"
)
_GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class FieldError(ValueError):
    """A rule spanning several fields; `field` (dotted, relative to the model that
    raised it) tells the loader which setting to name in its one-line message."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _ipv4_network(value: str) -> str:
    """an IPv4 CIDR, without host bits (10.0.0.0/16)"""
    try:
        net = ipaddress.IPv4Network(value, strict=True)
    except ValueError as err:
        raise ValueError(f"'{value}' is not a valid IPv4 network ({err})") from None
    return str(net)


def _account_id(value: str) -> str:
    """an AWS account id (12 digits, quoted)"""
    if not _ACCOUNT_ID.match(value):
        raise ValueError(f"'{value}' is not an AWS account id (12 digits)")
    return value


def _retention(value: int) -> int:
    """a number of days CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)"""
    if value not in CLOUDWATCH_RETENTION_DAYS:
        allowed = ", ".join(str(v) for v in CLOUDWATCH_RETENTION_DAYS)
        raise ValueError(f"{value} days is not a retention CloudWatch Logs accepts ({allowed})")
    return value


def _pattern(regex: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not regex.match(value):
            raise ValueError(f"'{value}' is not {what}")
        return value

    check.__doc__ = what  # names the type in docs/configuration.md
    return AfterValidator(check)


def _kubernetes_version(value: str) -> str:
    if value not in SUPPORTED_KUBERNETES_VERSIONS:
        raise ValueError(f"'{value}' is not a supported version ({', '.join(SUPPORTED_KUBERNETES_VERSIONS)})")
    return value


_kubernetes_version.__doc__ = f"a supported Kubernetes version, quoted ({', '.join(SUPPORTED_KUBERNETES_VERSIONS)})"


def _quantity(value: str | int) -> str:
    """a Kubernetes quantity (500m, 2, 512Mi, 4Gi)"""
    text = str(value)
    parse_quantity(text)  # raises with the reason
    return text


def _image(value: str) -> str:
    """an image pinned by version tag or digest"""
    name, _, tag = value.rpartition(":")
    if "@sha256:" not in value and (not name or not tag or tag == "latest" or "/" in tag):
        raise ValueError(f"'{value}' is not pinned: give a version tag or a digest (never :latest)")
    return value


def _principal_arn(value: str) -> str:
    """an IAM role or user ARN"""
    if not _IAM_PRINCIPAL_ARN.match(value):
        raise ValueError(f"'{value}' is not an IAM role or user ARN")
    return value


Ipv4Cidr = Annotated[str, AfterValidator(_ipv4_network)]
AccountId = Annotated[str, AfterValidator(_account_id)]
RetentionDays = Annotated[int, AfterValidator(_retention)]
PrincipalArn = Annotated[str, AfterValidator(_principal_arn)]
PrefixLength = Annotated[int, Field(ge=16, le=28)]
PositiveInt = Annotated[int, Field(gt=0)]
DnsLabel = Annotated[str, _pattern(_DNS_LABEL, "a DNS label (lower-case letters, digits, '-')")]
# Checked against the regions botocore knows (envs/regions.py), not a pattern: a typo is caught here.
Region = Annotated[str, AfterValidator(check_region), Field(json_schema_extra=region_json_schema)]
BucketName = Annotated[str, _pattern(_BUCKET, "a valid S3 bucket name")]
Email = Annotated[str, _pattern(_EMAIL, "an e-mail address")]
GithubRepository = Annotated[str, _pattern(_GITHUB_REPOSITORY, "a GitHub repository as owner/name")]
ConnectionArn = Annotated[str, _pattern(_CONNECTION_ARN, "a CodeConnections connection ARN")]
KubernetesVersion = Annotated[str, AfterValidator(_kubernetes_version)]
Quantity = Annotated[str | int, AfterValidator(_quantity)]
Image = Annotated[str, AfterValidator(_image)]
Port = Annotated[int, Field(ge=1, le=65535)]


class CpuMemory(Frozen):
    cpu: Quantity = Field(description='CPU as a Kubernetes quantity: cores ("2") or millicores ("500m").')
    memory: Quantity = Field(description='Memory as a Kubernetes quantity ("512Mi", "4Gi"); binary suffixes Ki/Mi/Gi.')
