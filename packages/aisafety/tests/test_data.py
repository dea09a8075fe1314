from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mpiis.aisafety import (
    CANONICAL_COLUMNS,
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


def test_unparseable_date_names_first_row(tmp_path, make_epoch_rows, write_epoch):
    rows = make_epoch_rows(6)
    rows[3]["Publication date"] = "March 2020"
    rows[5]["Publication date"] = "soon"
    with pytest.raises(ValueError, match=r"'March 2020' in data row 4"):
        load_notable_models(write_epoch(tmp_path / "x.csv", rows))


def test_bad_frontier_cell(tmp_path, make_epoch_rows, write_epoch):
    rows = make_epoch_rows(6)
    rows[2]["Frontier model"] = "yes"
    with pytest.raises(ValueError, match="Frontier model"):
        load_notable_models(write_epoch(tmp_path / "x.csv", rows))


def test_non_numeric_quantity(tmp_path, make_epoch_rows, write_epoch):
    rows = make_epoch_rows(6)
    rows[1]["Training compute (FLOP)"] = "lots"
    with pytest.raises(ValueError, match="training_compute_flop"):
        load_notable_models(write_epoch(tmp_path / "x.csv", rows))
