from jpki.cli.table import render, width


def test_width_counts_full_width_as_two() -> None:
    assert width("abc") == 3
    assert width("暗証番号") == 8
    assert width("①") == 1  # ambiguous width counts as one


def test_columns_line_up_with_japanese() -> None:
    lines = render(["PIN", "n"], [["署名用", "5/5"], ["auth", "3/3"]])
    starts = {width(line[: line.index("/") - 1]) for line in lines[1:]}
    assert len(starts) == 1
