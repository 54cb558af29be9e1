"""The StorageClasses of the CSI drivers (in `E-platform`): the default class
on EBS (named after its volume type), encrypted with the data key, and an `efs`
class with one access point per volume where EFS exists."""

from __future__ import annotations

from typing import Any

from modules.conventions import EBS_CSI_PROVISIONER, EFS_CSI_PROVISIONER

DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


def storage_classes(*, volume_type: str, kms_key_arn: str, efs_file_system_id: str | None) -> list[dict[str, Any]]:
    classes: list[dict[str, Any]] = [
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": volume_type, "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}},
            "provisioner": EBS_CSI_PROVISIONER,
            "parameters": {"type": volume_type, "encrypted": "true", "kmsKeyId": kms_key_arn},
            # Create the volume in the zone the pod is scheduled to, not before.
            "volumeBindingMode": "WaitForFirstConsumer",
            "allowVolumeExpansion": True,
            "reclaimPolicy": "Delete",
        }
    ]
    if efs_file_system_id is not None:
        classes.append(
            {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "StorageClass",
                "metadata": {"name": "efs"},
                "provisioner": EFS_CSI_PROVISIONER,
                # One EFS access point per volume, created on demand.
                "parameters": {
                    "provisioningMode": "efs-ap",
                    "fileSystemId": efs_file_system_id,
                    "directoryPerms": "700",
                    "basePath": "/dynamic",
                },
                "reclaimPolicy": "Delete",
                "volumeBindingMode": "Immediate",
            }
        )
    return classes
