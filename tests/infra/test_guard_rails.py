"""cdk-nag and cfn-lint on the synthesized template of each profile: nothing unsuppressed, nothing
unexplained."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.infra.conftest import Synth

# W3005 ("dependency already enforced by a GetAtt"): CDK adds an explicit DependsOn from each
# function to its role's default policy so the policy exists before the function's first call.
# Redundant for CloudFormation ordering, harmless, and it is how every CDK Function synthesizes.
CFN_LINT_IGNORED = "W3005"


def test_cdk_nag_has_no_unsuppressed_findings_and_every_suppression_has_a_reason(profile: Synth) -> None:
    synth = profile
    # Given the validation report cdk-nag wrote during the synth
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    (nag,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    # Then it passed with no open finding
    assert nag["conclusion"] == "success"
    assert nag["violations"] == []
    # And every acknowledged finding says why, in more than a word or two
    assert nag["suppressedViolations"], "the plugin ran and saw the acknowledged findings"
    for finding in nag["suppressedViolations"]:
        assert len(finding["reason"].split()) >= 6, finding["ruleName"]


IAM5 = "AwsSolutions-IAM5"
_ACTION = re.compile(r"\b[a-z0-9-]+:[A-Za-z*]+\b")
_RESOURCE_FINDING = re.compile(r"^AwsSolutions-IAM5\[Resource::(?P<resource>.+)\]$")


def _as_nag_names(value: Any) -> str:
    """A policy resource as cdk-nag's IAM5 writes it: ``<AWS::Region>``, ``<Table1234.Arn>``."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    separator, parts = value["Fn::Join"]
    return str(separator).join(_as_nag_names(part) for part in parts)


def _policy_at(synth: Synth, construct_path: str) -> dict[str, Any]:
    """The IAM policy a cdk-nag finding points at (its logical id is the path's names plus a hash)."""
    _stack, *names = construct_path.split("/")
    prefix = "".join(n for n in names if n != "Resource")
    (policy,) = [
        resource
        for logical_id, resource in synth.resources("AWS::IAM::Policy").items()
        if re.fullmatch(re.escape(prefix) + "[0-9A-F]{8}", logical_id)
    ]
    return policy


def test_each_wildcard_acknowledgement_names_exactly_the_actions_it_covers(profile: Synth) -> None:
    synth = profile
    # Given every acknowledged wildcard-resource finding (IAM5[Resource::...]) of the synth
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    (nag,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    findings = [f for f in nag["suppressedViolations"] if f["ruleName"].startswith(IAM5)]
    assert findings
    for finding in findings:
        # Then it is about one resource pattern, never an action wildcard
        match = _RESOURCE_FINDING.match(finding["ruleName"])
        assert match, finding["ruleName"]
        # And it is acknowledged where it arises, on the role whose policy has that resource
        for violating in finding["violatingConstructs"]:
            assert violating["constructPath"].startswith(finding["acknowledgedAt"] + "/")
            policy = _policy_at(synth, violating["constructPath"])
            # And its reason names exactly the actions that resource carries: a new action on "*" (or
            # on the pattern) is not hidden by an acknowledgement written for others
            covered = set()
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                resources = statement["Resource"]
                resources = resources if isinstance(resources, list) else [resources]
                if match["resource"] in {_as_nag_names(r) for r in resources}:
                    actions = statement["Action"]
                    covered |= {actions} if isinstance(actions, str) else set(actions)
            assert covered, finding["ruleName"]
            assert set(_ACTION.findall(finding["reason"])) == covered, finding["ruleName"]


def test_cfn_lint_reports_nothing(profile: Synth, tmp_path: Path) -> None:
    synth = profile
    # Given the synthesized template on disk
    template = tmp_path / "statusmon.template.json"
    template.write_text(json.dumps(synth.json))
    cfn_lint = shutil.which("cfn-lint") or str(Path(__file__).parents[2] / ".venv/bin/cfn-lint")
    # When cfn-lint checks it (offline, its bundled specs)
    result = subprocess.run(
        [cfn_lint, "--ignore-checks", CFN_LINT_IGNORED, "--", str(template)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    # Then it reports nothing
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""
