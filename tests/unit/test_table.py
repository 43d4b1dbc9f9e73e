from jpki.cli.table import render
from jpki.cli.wrap import width


def test_width_counts_full_width_as_two() -> None:
    assert width("abc") == 3
    assert width("暗証番号") == 8
    assert width("①") == 1  # ambiguous width counts as one


def test_columns_line_up_with_japanese() -> None:
    lines = render(["PIN", "n"], [["署名用", "5/5"], ["auth", "3/3"]])
    starts = {width(line[: line.index("/") - 1]) for line in lines[1:]}
    assert len(starts) == 1


def test_a_table_wider_than_the_limit_wraps_its_widest_column() -> None:
    atr = "3B FF 18 00 FF 81 31 FE 45 65 63 11 05 40 02 50 00 10 55 10 03 03 05 00 43"
    reader = "Identiv uTrust 3700 F CL Reader [uTrust 3700 F CL Reader] (53201133200338) 00 00"
    header = ["#", "Reader", "Card", "My Number", "Token", "ATR"]
    rows = [["0", reader, "yes", "yes", "My Number Card", atr]]
    wide = render(header, rows)
    assert max(width(line) for line in wide) > 80  # the case this is about
    lines = render(header, rows, limit=80)
    assert max(width(line) for line in lines) <= 80
    assert len(lines) > 2
    # Every word is whole, in its own column, and the columns still line up.
    text = " ".join(lines)
    for word in [*reader.split(), *atr.split()]:
        assert word in text.split()
    token_at = lines[0].index("Token")
    assert lines[1][token_at:].startswith("My Number Card")


def test_japanese_headers_and_cells_wrap_by_cells() -> None:
    header = ["リーダー", "トークン"]
    rows = [["あいうえおかきくけこさしすせそたちつてと", "マイナンバーカード"]]
    lines = render(header, rows, limit=30)
    assert max(width(line) for line in lines) <= 30
    assert "".join(line.split("  ")[0].strip() for line in lines[1:]).startswith("あいうえお")


def test_a_table_that_fits_is_unchanged_by_a_limit() -> None:
    rows = [["署名用", "5/5"], ["auth", "3/3"]]
    assert render(["PIN", "n"], rows, limit=80) == render(["PIN", "n"], rows)
