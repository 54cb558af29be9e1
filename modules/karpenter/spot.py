"""The EC2 Spot service-linked role (`AWSServiceRoleForEC2Spot`), in `E-bootstrap`.

EC2 creates it on an account's first Spot request from the console, but a launch
through the API (Karpenter's CreateFleet) in an account that never ran Spot fails
without it. An account holds it once (IAM refuses a second), so only the one
environment the config names creates it, applied by a person with the rest of
the bootstrap stack (`make bootstrap`, whose preflight refuses when the account
already holds a role this stack did not create). Protected from destroy: the
whole account's Spot launches use it, and deleting it by switching the setting
off must be a decision (`terraform state rm`, docs/karpenter.md).
"""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.iam_service_linked_role import IamServiceLinkedRole
from constructs import Construct

SPOT_SERVICE = "spot.amazonaws.com"


def spot_service_linked_role(scope: Construct, id_: str) -> IamServiceLinkedRole:
    return IamServiceLinkedRole(
        scope,
        id_,
        aws_service_name=SPOT_SERVICE,
        description="Lets EC2 launch and manage Spot Instances (Karpenter's spot node pools) in this account",
        lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
    )
