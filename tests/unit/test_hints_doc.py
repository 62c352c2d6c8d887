"""docs/alerts.md's "Alert hints" table is the catalogue's (scripts/hints_table.py --write)."""

from scripts import hints_table
from statusmon.domain.hints import CATALOGUE


def test_the_alerts_page_lists_the_catalogue_as_it_is() -> None:
    # Given docs/alerts.md as committed
    page = hints_table.PAGE.read_text()
    # Then its hints block is exactly what the script generates from the catalogue
    assert hints_table.current_block(page) == hints_table.table(), (
        "docs/alerts.md's hints table is stale: run `python scripts/hints_table.py --write`"
    )


def test_the_table_has_a_row_per_entry_and_escapes_pipes() -> None:
    rows = hints_table.table().splitlines()[2:]
    assert len(rows) == len(CATALOGUE)
    # every row has five cells: a pattern's "|" is escaped
    assert all(row.replace("\\|", "").count("|") == 6 for row in rows)


def test_the_block_is_replaced_between_its_markers() -> None:
    text = f"before\n{hints_table.BEGIN}\nold\n{hints_table.END}\nafter\n"
    replaced = hints_table.replace_block(text, "new\n")
    assert replaced == f"before\n{hints_table.BEGIN}\nnew\n{hints_table.END}\nafter\n"
