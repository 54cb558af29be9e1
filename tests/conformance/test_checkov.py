"""checkov over every synthesized stack: nothing outside the reasoned allow-list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cdktf import TerraformStack, Testing
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.security_group import SecurityGroup, SecurityGroupIngress

from tests.conformance.checkov_scan import (
    CLASSES,
    Finding,
    Report,
    allowed,
    load_allowlist,
    require_checkov,
    scan_report,
    write_kubernetes_manifests,
    write_stripped,
)
from tests.conftest import Synth

Doc = dict[str, Any]


PROBE = "probe-open-ssh"  # stacks of the null-stripping probe, scanned with the others


def open_ssh_stack(outdir: Path) -> Doc:
    """A security group open to the world on port 22, as cdktf synthesizes it."""
    stack = TerraformStack(Testing.app(outdir=str(outdir)), "open-ssh")
    AwsProvider(stack, "aws", region="eu-west-1")
    SecurityGroup(
        stack,
        "ssh",
        name="ssh",
        description="ssh from anywhere",
        ingress=[
            SecurityGroupIngress(from_port=22, to_port=22, protocol="tcp", cidr_blocks=["0.0.0.0/0"], description="ssh")
        ],
    )
    doc: Doc = json.loads(Testing.synth(stack))
    return doc


@pytest.fixture(scope="session")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Doc:
    return open_ssh_stack(tmp_path_factory.mktemp("open-ssh"))


@pytest.fixture(scope="session")
def scanned(synth: Synth, probe: Doc, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """One checkov run (it takes seconds to start): every stack's stripped JSON and
    manifests, and the probe, raw and stripped, told apart by folder."""
    require_checkov()
    target = tmp_path_factory.mktemp("checkov")
    write_stripped(synth.stacks, target)
    assert write_kubernetes_manifests(synth.stacks, target) > 0
    (target / f"{PROBE}-raw").mkdir()
    (target / f"{PROBE}-raw" / "cdk.tf.json").write_text(json.dumps(probe))
    write_stripped({f"{PROBE}-stripped": probe}, target)
    return scan_report(target)


@pytest.fixture(scope="session")
def report(scanned: Report) -> Report:
    return scanned.where(lambda f: f.framework == "terraform_json" and not f.stack.startswith(PROBE))


@pytest.fixture(scope="session")
def kubernetes_report(scanned: Report) -> Report:
    return scanned.where(lambda f: f.framework == "kubernetes")


@pytest.fixture(scope="session")
def findings(report: Report, kubernetes_report: Report) -> list[Finding]:
    return report.failed + kubernetes_report.failed


def test_kubernetes_manifests_are_scanned(kubernetes_report: Report, synth: Synth) -> None:
    manifests = sum(len(d.get("resource", {}).get("kubernetes_manifest", {})) for d in synth.stacks.values())
    scanned = {(f.stack, f.resource) for f in kubernetes_report.passed + kubernetes_report.failed}
    # checkov has no checks for Karpenter's custom resources; workloads and
    # namespaces, where they exist as manifests, are checked.
    assert manifests >= 9
    assert all(stack in {n for n in synth.stacks} for stack, _ in scanned)
    assert {stack for stack, _ in scanned} >= {"dev-apps", "prod-platform"}
    assert any(resource.startswith("Deployment.") for _, resource in scanned)


def test_eks_security_checks_pass_in_prod(report: Report) -> None:
    # Secrets encryption, public endpoint off/restricted, all log types, IMDSv2, hop limit 1.
    expected = {"CKV_AWS_37", "CKV_AWS_38", "CKV_AWS_39", "CKV_AWS_58", "CKV_AWS_79", "CKV_AWS_341"}
    passed = {f.check for f in report.passed if f.stack == "prod-cluster"}
    assert expected <= passed
    assert not expected & {f.check for f in report.failed if f.stack == "prod-cluster"}


def test_allowlist_entries_have_reasons() -> None:
    for entry in load_allowlist():
        assert {"check", "stack", "resource", "reason"} <= set(entry) <= {*ALLOWLIST_KEYS}, entry
        assert entry.get("environments", "production") in CLASSES, entry
        assert len(entry["reason"].split()) >= 5, entry
        assert entry["resource"] not in ("*", ""), f"blanket skip of {entry['check']} without a resource"
        # Keyed by what a resource is and the environment's class, never by an environment's name.
        assert entry["stack"].startswith("*"), entry


ALLOWLIST_KEYS = ("check", "stack", "environments", "resource", "reason")


def test_no_finding_outside_the_allowlist(findings: list[Finding], synth: Synth) -> None:
    entries = load_allowlist()
    unexpected = [str(f) for f in findings if not any(allowed(f, e, synth.production) for e in entries)]
    assert unexpected == [], "\n".join(unexpected)


def test_every_allowlist_entry_is_still_needed(findings: list[Finding], synth: Synth) -> None:
    stale = [e for e in load_allowlist() if not any(allowed(f, e, synth.production) for f in findings)]
    assert stale == []


def test_checkov_sees_real_resources(findings: list[Finding], synth: Synth) -> None:
    # A scan that read nothing would pass everything: the known state-bucket
    # findings must be there for every environment.
    stacks = {f.stack for f in findings if f.check == "CKV_AWS_144"}
    assert stacks == {f"{e}-bootstrap" for e in ("dev", "staging", "prod")}


def test_null_stripping_is_what_catches_an_open_ssh_port(probe: Doc, scanned: Report) -> None:
    (rule,) = probe["resource"]["aws_security_group"]["ssh"]["ingress"]
    assert rule["from_port"] == 22 and rule["cidr_blocks"] == ["0.0.0.0/0"]
    assert None in rule.values()  # cdktf's explicit nulls, the cause of the blind spot
    ssh_checks = {"CKV_AWS_24"}  # "no security group allows ingress from 0.0.0.0/0 to port 22"
    assert not ssh_checks & {f.check for f in scanned.failed if f.stack == f"{PROBE}-raw"}
    assert ssh_checks <= {f.check for f in scanned.failed if f.stack == f"{PROBE}-stripped"}


def test_efs_encryption_and_backup_checks_pass(report: Report) -> None:
    # CKV_AWS_42 EFS encrypted, CKV_AWS_184 with a customer-managed key, CKV2_AWS_18 in a backup plan/policy.
    passed = {f.check for f in report.passed if f.stack == "prod-storage"}
    assert {"CKV_AWS_42", "CKV_AWS_184"} <= passed
    assert not {"CKV_AWS_42", "CKV_AWS_184", "CKV2_AWS_18"} & {
        f.check for f in report.failed if f.stack == "prod-storage"
    }
