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


# Where each shell looks for a command's completion; none of them exists in a fresh home.
COMPLETION_DIRS = {
    "bash": "~/.local/share/bash-completion/completions",  # bash-completion's per-user directory
    "zsh": "~/.zfunc",
    "fish": "~/.config/fish/completions",
}
_FILES = {"bash": PROG, "zsh": f"_{PROG}", "fish": f"{PROG}.fish"}


def install_line(shell: str) -> str:
    """The shell command that installs the completion script of ``shell`` for the user, once."""
    folder = COMPLETION_DIRS[shell]
    return f"mkdir -p {folder} && statusmon completion {shell} > {folder}/{_FILES[shell]}"


def install_hint(shell: str) -> str:
    return install_line(shell) + ("  (with fpath+=(~/.zfunc) before compinit)" if shell == "zsh" else "")
