"""Shell completion for bash, zsh and fish, with argcomplete.

``statusmon completion SHELL`` prints the shell's script. The script asks ``statusmon`` itself what
may come next: on TAB the shell runs the command with argcomplete's variables set, and
:func:`complete` answers from the parser and exits before anything else runs (no AWS call, no
settings read). So completion always matches the installed version's commands and options. What a
TAB completes: commands, options, the choices of ``--service``/``--output``, and ``--profile``
from the AWS config and credentials files. Ids are not completed (that would read the table on TAB).
"""

from __future__ import annotations

import argparse
from typing import Any

import argcomplete
from argcomplete.completers import SuppressCompleter

from statusmon.adapters import aws

SHELLS = ("bash", "zsh", "fish")
PROG = "statusmon"


def _profiles(**_: Any) -> list[str]:
    return sorted(aws.profiles())


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                found += _subparsers(sub)
    return found


def _attach_completers(parser: argparse.ArgumentParser) -> None:
    for each in _subparsers(parser):
        for action in each._actions:
            if action.dest == "profile":
                action.completer = _profiles  # type: ignore[attr-defined]


def complete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell and exit when it asks for completions (``_ARGCOMPLETE`` set); else return."""
    _attach_completers(parser)
    # Nothing statusmon takes is a file: a TAB offers no file names where it has nothing to offer.
    argcomplete.autocomplete(parser, default_completer=SuppressCompleter())


def script(shell: str) -> str:
    """The completion script of ``shell`` for the ``statusmon`` command."""
    return argcomplete.shellcode([PROG], shell=shell)


def install_hint(shell: str) -> str:
    return {
        "bash": f"statusmon completion bash > ~/.local/share/bash-completion/completions/{PROG}",
        "zsh": f"statusmon completion zsh > ~/.zfunc/_{PROG}  (with fpath+=(~/.zfunc) before compinit)",
        "fish": f"statusmon completion fish > ~/.config/fish/completions/{PROG}.fish",
    }[shell]
