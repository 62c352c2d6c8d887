"""cdk-nag and cfn-lint on the synthesized template: nothing unsuppressed, nothing unexplained."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.infra.conftest import Synth

# W3005 ("dependency already enforced by a GetAtt"): CDK adds an explicit DependsOn from each
# function to its role's default policy so the policy exists before the function's first call.
# Redundant for CloudFormation ordering, harmless, and it is how every CDK Function synthesizes.
CFN_LINT_IGNORED = "W3005"


def test_cdk_nag_has_no_unsuppressed_findings_and_every_suppression_has_a_reason(synth: Synth) -> None:
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


def test_cfn_lint_reports_nothing(synth: Synth, tmp_path: Path) -> None:
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
