"""Deploy the stack into moto server's CloudFormation and query it: `make deploy-moto`.

A rehearsal of `cdk bootstrap` + `cdk deploy` with no AWS account. moto creates the resources it
knows (table, functions, topic, queue, rules, event source mapping) and skips the rest (alarms,
topic/queue policies, subscriptions, TTL, PITR); it cannot run the functions. moto records no
outputs for stacks created through change sets, hence `--method=direct` here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from statusmon_local.services import moto_server

ROOT = Path(__file__).resolve().parents[1]
STACK = "statusmon-moto"
REGION = "us-east-1"


def run(*command: str, env: dict[str, str], cwd: Path = ROOT) -> None:
    print("$", " ".join(command), flush=True)
    subprocess.run(command, env=env, cwd=cwd, check=True)


def main() -> int:
    with moto_server(host="localhost") as endpoint:
        return deploy(endpoint)


def deploy(endpoint: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_", "STATUSMON_"))}
    env |= {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "moto",
        "AWS_SECRET_ACCESS_KEY": "moto",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    cdk = str(ROOT / "node_modules" / ".bin" / "cdk")
    context = json.dumps({"stack_name": STACK, "throwaway": True})
    try:
        with tempfile.TemporaryDirectory() as scratch:
            run(cdk, "bootstrap", f"aws://123456789012/{REGION}", env=env, cwd=Path(scratch))
            run(
                cdk, "deploy", STACK, "--method=direct", "--require-approval=never",
                "--output", str(Path(scratch) / "cdk.out"), "--context", f"statusmon={context}",
                env=env,
            )  # fmt: skip
        run(sys.executable, "-m", "statusmon.cli.main", "status", "--stack", STACK, env=env)
        print(f"deployed {STACK} into moto; `statusmon status --stack {STACK}` found its table")
    except subprocess.CalledProcessError as exc:
        print(f"deploy-moto: error: {' '.join(exc.cmd[:2])} exited {exc.returncode}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
