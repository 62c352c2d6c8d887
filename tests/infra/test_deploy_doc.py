"""docs/deploy.md's functions, roles and alarms are the synthesized stack's (scripts/template_tables.py)."""

from __future__ import annotations

import pytest

from scripts import template_tables as tt
from tests.infra.conftest import Synth


@pytest.fixture(scope="module")
def generated(synth: Synth, everything: Synth) -> dict[str, str]:
    return tt.blocks(synth.json, everything.json)


@pytest.mark.parametrize("name", tt.BLOCKS)
def test_the_page_shows_what_the_templates_deploy(generated: dict[str, str], name: str) -> None:
    # Given the default and everything-on templates, and the page as committed
    page = tt.PAGE.read_text()
    # Then each generated block on the page is what the templates give
    assert tt.current_block(page, name) == generated[name], (
        f"docs/deploy.md's {name} block is stale: run `python scripts/template_tables.py --write`"
    )


def test_every_function_and_role_is_on_the_page(synth: Synth, generated: dict[str, str]) -> None:
    # Given the default template's functions
    names = {tt.function_name(fn) for fn in synth.resources("AWS::Lambda::Function").values()}
    # Then each has its row in the functions table and statements in the role table (the failure
    # summariser, ops, is in the default profile: it has no alarms)
    assert names == {"poll_rekognition", "poll_personalize", "notify", "redrive", "watch", "discover", "ops"}
    for name in names:
        assert f"| `{name}` |" in generated["deploy:functions"]
        assert f"| {name} |" in generated["deploy:roles"]
    # And the sentence under the table counts one asset and the reservations the template makes
    reserved = sum(
        int(fn["Properties"].get("ReservedConcurrentExecutions", 0))
        for fn in synth.resources("AWS::Lambda::Function").values()
    )
    assert f"7 functions in 1 asset; 4 of them reserve {reserved} " in generated["deploy:functions"]
    assert f"at least {100 + reserved}" in generated["deploy:functions"]


def test_the_watch_role_may_list_dataset_entries_and_nothing_account_wide(generated: dict[str, str]) -> None:
    # Given the default role table's rows for the hot watch
    rows = [row for row in generated["deploy:roles"].splitlines() if row.startswith("| watch |")]
    # Then it may ListDatasetEntries (to sample a completed dataset's error entries) on datasets only
    assert any("`rekognition:ListDatasetEntries`" in row and "dataset/*/*" in row for row in rows)
    # And no action on "*": no account-wide listing, no tracing
    assert not [row for row in rows if "| `*` |" in row]


def test_each_function_has_an_error_alarm_with_every_extra_on(
    everything: Synth, generated: dict[str, str]
) -> None:
    # Given the everything-on template's alarms
    alarms = generated["deploy:alarms"].splitlines()
    # Then one on each function's errors, the DLQ's, and one stale-sweep alarm per service
    functions = {tt.function_name(fn) for fn in everything.resources("AWS::Lambda::Function").values()}
    assert {line for line in alarms if line.startswith("- errors of")} == {
        f"- errors of `{f}`" for f in functions
    }
    assert len(alarms) == len(everything.resources("AWS::CloudWatch::Alarm")) == len(functions) + 3


def test_a_block_is_replaced_between_its_markers() -> None:
    text = "a\n<!-- deploy:alarms -->\nold\n<!-- /deploy:alarms -->\nb\n"
    assert (
        tt.replace_block(text, "deploy:alarms", "new\n")
        == "a\n<!-- deploy:alarms -->\nnew\n<!-- /deploy:alarms -->\nb\n"
    )
