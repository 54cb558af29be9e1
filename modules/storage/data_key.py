"""The customer-managed KMS key for persistent data (in `E-storage`)."""

from __future__ import annotations

from constructs import Construct

from modules.base.kms import AccountContext, EncryptionKey


def data_key(scope: Construct, *, name: str, account: AccountContext, protect: bool) -> EncryptionKey:
    """The key for persistent data (EBS volumes, EFS): separate from the cluster's
    keys, so data survives a cluster rebuild and stays readable."""
    return EncryptionKey(
        scope,
        "data-kms",
        account=account,
        alias=f"{name}-data",
        description=f"Persistent data (EBS volumes, EFS) of {name}",
        protect=protect,
    )
