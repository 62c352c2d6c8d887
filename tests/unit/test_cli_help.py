"""Every command's --help ends with an example a user can copy."""

import argparse

import pytest

from statusmon.cli.main import build_parser
from statusmon_emulator.cli import build_parser as emulator_parser


def _commands() -> dict[str, argparse.ArgumentParser]:
    [commands] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    # `statusmon emulator` hands its arguments to the emulator's own parser.
    return {name: p for name, p in commands.choices.items() if name != "emulator"} | {
        "emulator": emulator_parser()
    }


@pytest.mark.parametrize("name", sorted(_commands()))
def test_each_command_help_has_an_example_of_itself_with_its_lines_kept(name: str) -> None:
    # When the user asks a command for help
    text = _commands()[name].format_help()
    # Then an example follows the options, runs that very command, and is laid out as written
    assert "example" in text, f"add an example for `statusmon {name}` to statusmon/cli/examples.py"
    example = text.split("example", 1)[1]
    assert f"statusmon {name}" in example
    assert "\n  " in example
