"""The bank result parser takes untrusted files: it answers ValidationError or lines, only."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casework.bankfiles import TransferLine, parse_results, transfer_csv
from casework.errors import ValidationError


def test_a_well_formed_result_file_is_parsed_line_by_line():
    content = b"\xef\xbb\xbfreference,status,reason\r\nA1,ok,\r\nA2,FAILED,Rekening tutup\r\n"
    lines = parse_results(content)
    assert [(x.reference, x.ok, x.reason) for x in lines] == [
        ("A1", True, ""),
        ("A2", False, "Rekening tutup"),
    ]


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b"", "file"),
        (b"\xff\xfe\x00garbage", "file"),
        (b"reference,status,reason\n", "file"),
        (b"reference,status,reason\nA1,maybe,\n", "line-2"),
        (b"reference,status,reason\nA1,failed,\n", "line-2"),
        (b"A1,ok\nA1,ok\n", "line-2"),
        (b'A1,"ok\n', "file"),
        (b"A1,ok,x,y\n", "line-1"),
    ],
)
def test_a_malformed_result_file_gives_a_field_error(content, field):
    with pytest.raises(ValidationError) as error:
        parse_results(content)
    assert field in error.value.fields


def test_the_transfer_file_neutralises_spreadsheet_formulas():
    text = transfer_csv([TransferLine("R1", "BRI", "123456", "=HYPERLINK(1)", 5)])
    assert text.splitlines()[1] == "R1,BRI,123456,'=HYPERLINK(1),5"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_lines_or_a_validation_error(content):
    try:
        lines = parse_results(content)
    except ValidationError:
        return
    assert all(line.reference for line in lines)


CELLS = st.text(alphabet=st.sampled_from(list('ab1,"\n\r ok failed\x00é')), max_size=30)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(CELLS, max_size=5), max_size=6))
def test_csv_like_text_gives_lines_or_a_validation_error(rows):
    content = "\n".join(",".join(r) for r in rows).encode()
    with contextlib.suppress(ValidationError):
        parse_results(content)
