"""How a release of a Helm chart is installed (atomic, cleaned up on failure,
waited for). The charts and their versions are pinned in planning/pins.py."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_helm.release import Release
from constructs import Construct

from planning.pins import Chart


def helm_release(
    scope: Construct,
    id_: str,
    chart: Chart,
    namespace: str,
    values: Mapping[str, Any],
    *,
    after: Sequence[ITerraformDependable] = (),
    **extra: Any,
) -> Release:
    """`after`: what the release waits for (its depends_on)."""
    return Release(
        scope,
        id_,
        name=chart.name,
        repository=chart.repository,
        chart=chart.name,
        version=chart.version,
        namespace=namespace,
        values=[json.dumps(values, sort_keys=True)] if values else None,
        atomic=True,
        cleanup_on_fail=True,
        wait=True,
        depends_on=list(after) or None,
        **extra,
    )
