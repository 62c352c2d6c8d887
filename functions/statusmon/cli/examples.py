"""One example for each command's ``--help`` (its epilog), kept apart from the options."""

from __future__ import annotations

import argparse

EXAMPLES = {
    "local-setup": """example: a table and topic on moto server, exported for the next commands
  export AWS_ENDPOINT_URL=http://localhost:5000
  eval "$(statusmon local-setup)\"""",
    "status": """example: what failed, by its short id
  statusmon status --failed --stack statusmon
  statusmon status --output text | cut -f1,3     # id and status, for scripts""",
    "history": """example: one dataset's transitions, with what to do about its failures
  statusmon history shoes/train --stack statusmon""",
    "wait": """examples: a CI step that fails when the import fails, and gives up after two hours
  statusmon wait retail/interactions-2026-11 --timeout 2h
an update of a dataset that is complete now: only the update's own end counts
  aws rekognition update-dataset-entries ... && statusmon wait shoes/train --new
no monitor deployed: ask the service itself, by ARN
  statusmon wait "$DATASET_ARN" --direct

exit codes: 0 complete, 1 failed or deleted (the reason and what to do on stderr),
2 timeout (`statusmon: timeout:`) or a wrong command line (`statusmon: error:`)""",
    "sweep": """example: one sweep now, then the hot watch's quicker look at what is in flight
  statusmon sweep --stack statusmon
  statusmon sweep --hot --stack statusmon""",
    "redrive": """example: after an SNS outage, send what is still pending
  statusmon redrive --stack statusmon""",
    "watch": """example: keep an eye on what runs and what broke today, at a terminal
  statusmon watch --stack statusmon --failed-within 24
one frame, for a script or a chat bot
  statusmon watch --once --output json""",
    "completion": """example: completion for every new bash (zsh and fish: the lines above)
  mkdir -p ~/.local/share/bash-completion/completions
  statusmon completion bash > ~/.local/share/bash-completion/completions/statusmon""",
    "demo": """example: the whole monitor on this machine, no AWS account (statusmon[local])
  statusmon demo""",
}


def add_examples(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Each command's example as its help epilog, printed as written (line breaks kept)."""
    for name, parser in commands.choices.items():
        if name in EXAMPLES:
            parser.epilog = EXAMPLES[name]
            parser.formatter_class = argparse.RawDescriptionHelpFormatter
