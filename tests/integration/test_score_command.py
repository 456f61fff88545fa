"""`closeloop score`: files and standard input in, one JSON object a row out."""

import json

from click.testing import CliRunner

from closeloop.cli import main

FIELDS = {"sentiment", "polarity", "needs_response", "urgency", "priority", "topic", "reasons"}


def score(tmp_path, *args, input=None):
    config = tmp_path / "closeloop.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/closeloop.db"\n')
    return CliRunner().invoke(main, ["--config", str(config), "score", *args], input=input)


def lines_of(result):
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_it_scores_each_csv_row_with_its_rating(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text('id,body,stars\n1,"Arrived broken, where is my refund?",1\n2,"Works fine",5\n'
                    '3,"Spread over\ntwo lines",\n', encoding="utf-8")
    result = score(tmp_path, "--text-column", "body", "--rating-column", "stars", str(path))
    assert result.exit_code == 0, result.output
    rows = lines_of(result)
    assert len(rows) == 3
    assert all(set(row) == FIELDS for row in rows)
    assert rows[0]["sentiment"] == "negative" and rows[0]["needs_response"]
    assert "rating:1 -> negative" in rows[0]["reasons"]
    assert "rating:5 -> positive" in rows[1]["reasons"]
    assert not any(reason.startswith("rating") for reason in rows[2]["reasons"])


def test_a_rating_that_is_no_whole_number_is_named_as_ignored(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("body,stars\nMy order never came,five\nMeh,4.5\n", encoding="utf-8")
    rows = lines_of(score(tmp_path, "--text-column", "body", "--rating-column", "stars", str(path)))
    assert "rating:'five' ignored (not 1-5)" in rows[0]["reasons"]
    assert "rating:'4.5' ignored (not 1-5)" in rows[1]["reasons"]


def test_it_scores_jsonl(tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_text('{"text": "Still waiting for my parcel", "id": 1}\n\n{"text": "Thank you!", "id": 2}\n')
    rows = lines_of(score(tmp_path, str(path)))
    assert [row["needs_response"] for row in rows] == [True, False]
    assert rows[0]["topic"] == "delivery"


def test_it_scores_plain_text_lines(tmp_path):
    path = tmp_path / "posts.txt"
    path.write_text("My order never arrived\n\nLovely shop, thanks\n")
    rows = lines_of(score(tmp_path, str(path)))
    assert [row["sentiment"] for row in rows] == ["negative", "positive"]


def test_it_reads_standard_input_and_tells_jsonl_from_text(tmp_path):
    jsonl = lines_of(score(tmp_path, "-", input='{"text": "Where is my refund?"}\n'))
    text = lines_of(score(tmp_path, "-", input="Where is my refund?\nNice one\n"))
    assert len(jsonl) == 1 and len(text) == 2
    assert jsonl[0] == text[0]


def test_bad_rows_still_get_a_score(tmp_path):
    path = tmp_path / "odd.jsonl"
    path.write_text('{"text": ""}\n{"text": null}\n{"text": 42}\n{"text": "🍕🍕"}\n{"text": "https://t.co/x"}\n')
    rows = lines_of(score(tmp_path, str(path)))
    assert len(rows) == 5
    assert not any(row["needs_response"] for row in rows)


def test_a_missing_column_names_it_and_the_columns_found_and_writes_nothing(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text("id,message\n1,Where is my refund?\n")
    result = score(tmp_path, str(path))
    assert result.exit_code != 0
    assert result.stdout == ""
    assert "column 'text' not found; columns: id, message" in result.stderr


def test_a_missing_rating_column_is_named_too(tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_text('{"text": "Where is my refund?"}\n')
    result = score(tmp_path, "--rating-column", "stars", str(path))
    assert result.exit_code != 0 and result.stdout == ""
    assert "column 'stars' not found; columns: text" in result.stderr


def test_a_large_file_is_scored_in_batches_with_progress_on_stderr(tmp_path):
    path = tmp_path / "many.txt"
    path.write_text("".join(f"Order {n} never arrived\n" for n in range(2500)))
    result = score(tmp_path, str(path))
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 2500
    assert "scored 1,000 rows" in result.stderr and "scored 2,500 rows" in result.stderr


def test_a_csv_with_a_byte_order_mark_finds_its_text_column(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes("\ufefftext,stars\n\"Arrived broken, where is my refund?\",1\n".encode("utf-8"))
    result = score(tmp_path, "--rating-column", "stars", str(path))
    assert result.exit_code == 0, result.output
    [row] = lines_of(result)
    assert row["sentiment"] == "negative"


def test_text_lines_with_commas_on_standard_input_are_not_taken_for_csv(tmp_path):
    result = score(tmp_path, "-", input="I waited, and waited, and nobody answered\nGreat, thanks\n")
    assert result.exit_code == 0, result.output
    assert len(lines_of(result)) == 2
    assert "reading text" in result.stderr


def test_a_csv_header_naming_the_text_column_is_read_as_csv_and_said_so(tmp_path):
    result = score(tmp_path, "-", input='id,text\n1,"Where is my refund, please?"\n')
    assert result.exit_code == 0, result.output
    assert len(lines_of(result)) == 1
    assert "reading csv: the first line is a header naming 'text'" in result.stderr


def test_a_one_column_csv_on_standard_input_is_read_as_csv_by_its_header(tmp_path):
    result = score(tmp_path, "--text-column", "body", "-", input='body\n"Where is my order, again?"\n')
    assert result.exit_code == 0, result.output
    assert "reading csv: the first line is a header naming 'body'" in result.stderr
    rows = lines_of(result)
    assert len(rows) == 1 and rows[0]["needs_response"]


def test_an_empty_file_says_it_is_empty(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    result = score(tmp_path, str(path))
    assert result.exit_code == 1
    assert "is empty" in result.output and result.stdout.count("{") == 0


def test_a_file_of_a_byte_order_mark_alone_says_it_is_empty(tmp_path):
    path = tmp_path / "exported.csv"
    path.write_bytes(b"\xef\xbb\xbf\r\n")
    result = score(tmp_path, str(path))
    assert result.exit_code == 1
    assert "'exported.csv' is empty: nothing to score" in result.output.replace(str(tmp_path) + "/", "")


def test_a_csv_of_a_header_alone_says_there_is_nothing_to_score(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("text,rating\n", encoding="utf-8")
    for args, stdin in (([str(path)], None), (["-"], "text,rating\n")):
        result = score(tmp_path, *args, input=stdin)
        assert result.exit_code == 1, result.output
        assert "holds no posts, only a header or blank lines: nothing to score" in result.stderr
        assert result.stdout == ""


def test_a_binary_file_is_refused_without_printing_its_bytes(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) * 4)
    for args, stdin in (([str(path)], None), (["-"], path.read_bytes())):
        result = score(tmp_path, *args, input=stdin)
        assert result.exit_code == 1
        assert "is not UTF-8 text" in result.output
        assert "JFIF" not in result.output and "\ufffd" not in result.output


def test_scoring_does_not_load_the_database_layer(tmp_path):
    import subprocess
    import sys

    config = tmp_path / "closeloop.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/closeloop.db"\n')
    probe = ("import sys\nfrom closeloop.cli import main\n"
             "try:\n    main(['--config', sys.argv[1], 'score', '-'], standalone_mode=False)\n"
             "finally:\n    print(sorted(m for m in ('sqlalchemy', 'flask', 'store', 'web', 'apscheduler')"
             " if m in sys.modules), file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", probe, str(config)], input="Where is my refund?\n",
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().endswith("[]"), done.stderr
