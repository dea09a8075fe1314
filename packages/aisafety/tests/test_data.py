from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mpiis.aisafety import (
    CANONICAL_COLUMNS,
    DroppedRowsWarning,
    fractional_year,
    load_frontier_table,
    load_notable_models,
)


def test_fractional_year():
    t = fractional_year(pd.to_datetime(["2024-01-01", "2023-07-02", "2024-12-31"]))
    assert t[0] == 2024.0
    assert t[1] == pytest.approx(2023 + 182 / 365)
    assert t[2] == pytest.approx(2024 + 365 / 366)


def test_frontier_table():
    df = load_frontier_table()
    assert tuple(df.columns) == CANONICAL_COLUMNS
    assert len(df) == 38 and df["frontier"].all()
    assert df.groupby(np.floor(df["year"]))["model"].count().to_dict()[2018.0] == 2
    assert df["year"].between(2012, 2025).all()
    assert df["training_compute_flop"].max() == 5.0e25
    assert "top 3" in df.attrs["selection"] or "3 largest" in df.attrs["selection"]
    assert df["dataset_size"].isna().all()


def test_load_epoch_csv_quirks(epoch_csv):
    df = load_notable_models(epoch_csv)
    assert tuple(df.columns) == CANONICAL_COLUMNS
    assert len(df) == 40
    assert df["frontier"].dtype == bool and df["frontier"].sum() == 14
    assert df["training_compute_flop"].isna().sum() == 4  # rows 4, 13, 22, 31
    assert (df["domain"] == "Language,Vision").sum() == 8
    assert df["year"].iloc[0] == pytest.approx(2012.0)
    assert "Notability criteria" not in df.columns
    assert list(df["source_line"]) == list(range(2, 42))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="path"):
        load_notable_models(tmp_path / "nope.csv")


def test_not_epoch_schema(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not an Epoch"):
        load_notable_models(p)


def test_missing_required_columns(tmp_path, make_epoch_rows, write_epoch, epoch_header):
    header = [h for h in epoch_header if h != "Publication date"]
    p = write_epoch(tmp_path / "x.csv", make_epoch_rows(5), header)
    with pytest.raises(ValueError, match="Publication date"):
        load_notable_models(p)
    header = ["Model", "Publication date", "Domain"]
    p = write_epoch(tmp_path / "y.csv", make_epoch_rows(5), header)
    with pytest.raises(ValueError, match="quantity column"):
        load_notable_models(p)


def test_unparseable_cells_are_kept_as_nan_and_listed(tmp_path, make_epoch_rows, write_epoch):
    rows = make_epoch_rows(6)
    rows[3]["Publication date"] = "March 2020"
    rows[1]["Training compute (FLOP)"] = "lots"
    rows[2]["Frontier model"] = "maybe"
    with pytest.warns(DroppedRowsWarning, match=r"3 cell\(s\)"):
        df = load_notable_models(write_epoch(tmp_path / "x.csv", rows))
    assert len(df) == 6
    assert np.isnan(df["year"].iloc[3]) and np.isnan(df["training_compute_flop"].iloc[1])
    assert not df["frontier"].iloc[2]
    issues = {(i["line"], i["column"]): i for i in df.attrs["load_issues"]}
    assert issues[(5, "publication_date")]["value"] == "March 2020"
    assert issues[(3, "training_compute_flop")]["reason"] == "unparseable value"
    assert (4, "frontier") in issues


def test_quirky_fixture_loads_whole(quirky_epoch):
    with pytest.warns(DroppedRowsWarning) as rec:
        df = load_notable_models(quirky_epoch["path"])
    assert len(rec) == 1  # one warning for the whole load
    planted = quirky_epoch["planted"]
    assert len(df) == quirky_epoch["n_records"]  # only the ragged record is left out
    ragged = [i for i in df.attrs["load_issues"] if "fields" in i["reason"]]
    assert [i["line"] for i in ragged] == planted["ragged record (lines)"]
    assert df["year"].isna().sum() == len(planted["no publication date"]) + 1
    assert df.attrs["ignored_columns"] == ["Notability criteria", "Training compute notes",
                                           "Abstract", "Link"]
    assert df.attrs["columns_used"]["training_power_w"].strip() == "Training power draw (W)"
    assert (df["domain"].str.contains(",")).sum() == len(planted["multi-domain cells"])
    assert len(planted["multi-line records"]) > 100


def test_source_line_is_the_real_file_line(quirky_epoch):
    """Cells span lines, so a record's line is not its index + 2: check it against the raw
    text for every record."""
    with pytest.warns(DroppedRowsWarning):
        df = load_notable_models(quirky_epoch["path"])
    lines = quirky_epoch["path"].read_text(encoding="utf-8").split("\n")
    assert (df["source_line"] > df.index + 2).sum() > len(df) // 2
    for name, line in zip(df["model"], df["source_line"], strict=True):
        assert lines[line - 1].lstrip("\ufeff").startswith(name), (name, line)


def test_newer_layout_reads_the_same_values(quirky_epoch, quirky_epoch_newer):
    with pytest.warns(DroppedRowsWarning):
        old = load_notable_models(quirky_epoch["path"])
        new = load_notable_models(quirky_epoch_newer["path"])
    assert new.attrs["columns_used"]["dataset_size"] == "Training dataset size (total)"
    assert new.attrs["columns_used"]["country"] == "Country (of organization)"
    cols = ["model", "year", "training_compute_flop", "dataset_size", "frontier", "country"]
    a = old.set_index("model")[cols[1:]].sort_index()
    b = new.set_index("model")[cols[1:]].sort_index()
    pd.testing.assert_frame_equal(a, b)


def test_broken_quoting_names_the_real_line(quirky_epoch, tmp_path):
    text = quirky_epoch["path"].read_text(encoding="utf-8").rstrip("\n")
    n_lines = text.count("\n") + 1
    bad = tmp_path / "bad.csv"
    bad.write_text(text + '\n"Bad "quote" model",Language\n', encoding="utf-8")
    with pytest.raises(ValueError, match=rf"record starting on line {n_lines + 1}\b"):
        load_notable_models(bad)


def test_system_header_of_the_older_layout(tmp_path, make_epoch_rows, write_epoch,
                                           epoch_header):
    rows = [{("System" if k == "Model" else k): v for k, v in r.items()}
            for r in make_epoch_rows(6)]
    header = ["System" if h == "Model" else h for h in epoch_header]
    df = load_notable_models(write_epoch(tmp_path / "x.csv", rows, header))
    assert df.attrs["columns_used"]["model"] == "System" and df["model"].iloc[0] == "model-00"


def test_empty_file(tmp_path):
    p = tmp_path / "e.csv"
    p.write_text("")
    with pytest.raises(ValueError, match="empty"):
        load_notable_models(p)


def test_fixture_writer_validates_layout(tmp_path):
    from mpiis.aisafety import write_epoch_fixture

    with pytest.raises(ValueError, match="layout"):
        write_epoch_fixture(tmp_path / "x.csv", layout="2019")


def test_unterminated_quote_and_bad_encoding_name_the_problem(quirky_epoch, tmp_path):
    text = quirky_epoch["path"].read_text(encoding="utf-8").rstrip("\n")
    n_lines = text.count("\n") + 1
    bad = tmp_path / "bad.csv"
    bad.write_text(text + '\nCut-off model,"Language\n2024-01-01\n', encoding="utf-8")
    with pytest.raises(ValueError, match=rf"line {n_lines + 1}\b"):
        load_notable_models(bad)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Model,Publication date,Training compute (FLOP)\nCaf\xe9,2020-01-01,1e20\n"
                      .encode("latin-1"))
    with pytest.raises(ValueError, match="UTF-8"):
        load_notable_models(latin)
