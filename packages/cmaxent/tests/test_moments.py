import numpy as np
import pytest

from mpiis.cmaxent import MomentTable


def test_pooling_is_sample_size_weighted(rng):
    a = np.column_stack([rng.normal(1, 1, 100), rng.integers(0, 2, 100)])
    b = np.column_stack([rng.normal(3, 1, 300), rng.integers(0, 2, 300)])
    t = MomentTable.from_datasets({("X1", "Y"): a, ("Y", "X1"): b[:, ::-1]})
    want = (100 * a[:, 0].mean() + 300 * b[:, 0].mean()) / 400
    assert t.mean[0] == pytest.approx(want, rel=1e-14)
    assert t.observed_with_target == ("X1",)


def test_pattern_and_attributes(p1_table, p2_table):
    assert p1_table.predictors == ("X1", "X2")
    assert p1_table.observed_pairs == ()
    np.testing.assert_array_equal(p1_table.pattern, np.eye(2, dtype=bool))
    assert p2_table.observed_with_target == ("X1",)
    assert p2_table.observed_pairs == (("X1", "X2"),)
    assert p2_table.cov_y[1] == 0.0


def test_csv_round_trip(tmp_path, full_table, p2_table):
    for t in (full_table, p2_table):
        t.to_csv(tmp_path / "m.csv")
        assert MomentTable.from_csv(tmp_path / "m.csv") == t


def test_dataframe_input(data2):
    pd = pytest.importorskip("pandas")
    X, y = data2
    df = pd.DataFrame({"X1": X[:, 0], "X2": X[:, 1], "Y": y})
    t = MomentTable.from_datasets({("X1", "X2", "Y"): df})
    t2 = MomentTable.from_datasets({("X1", "X2", "Y"): np.column_stack([X, y])})
    assert t.predictors == t2.predictors and t.m_y == t2.m_y
    np.testing.assert_allclose(t.second, t2.second, rtol=1e-13)  # BLAS order may differ
    np.testing.assert_allclose(t.cross, t2.cross, rtol=1e-13)
    with pytest.raises(ValueError, match="columns must equal the key"):
        MomentTable.from_datasets({("X2", "X1", "Y"): df})


def test_subset(full_table):
    s = full_table.subset(["X2"])
    assert s.predictors == ("X2",)
    assert s.mean[0] == full_table.mean[1]
    assert s.m_y == full_table.m_y


@pytest.mark.parametrize(
    ("datasets", "kwargs", "err", "match"),
    [
        ({("X1", "Y"): np.array([[0.1, 2.0], [0.3, 1.0]])}, {}, ValueError, "binary"),
        ({("X1", "Y"): np.array([[0.1, 2.0], [0.3, 1.0], [0.0, 0.0]])}, {}, ValueError,
         "multi-class"),
        ({("X1", "X2"): np.ones((3, 2))}, {}, ValueError, "`target`"),
        ({("X1", "Y"): np.array([[0.1, 1.0], [0.3, 0.0]])}, {"predictors": ["X1", "X9"]},
         ValueError, "appear in none"),
        ({("X1", "Y"): np.array([[np.nan, 1.0], [0.3, 0.0]])}, {}, ValueError, "finite"),
        ({("X1", "Y"): np.ones((3, 3))}, {}, ValueError, r"shape \(\*, 2\)"),
        ({("X1", "Y"): np.array([[0.1, 1.0]])}, {}, ValueError, "at least 2 rows"),
        ({("X1", "X1", "Y"): np.ones((3, 3))}, {}, ValueError, "must not repeat"),
        ({("X1", "Y"): np.array([[0.1, 1.0], [0.3, 0.0]]),
          ("x1 ", "Y"): np.array([[0.1, 1.0], [0.3, 0.0]])}, {}, ValueError, "consistently"),
        ({("X1", "Y"): np.array([[0.1, 1.0], [0.3, 1.0]])}, {}, ValueError, r"\(0, 1\)"),
        ({("X1", "Y"): np.array([[0.5, 1.0], [0.5, 0.0]])}, {}, ValueError, "variance"),
        ({"X1": np.ones((3, 1))}, {}, TypeError, "tuple of column names"),
    ],
)
def test_validation(datasets, kwargs, err, match):
    with pytest.raises(err, match=match):
        MomentTable.from_datasets(datasets, **kwargs)


def test_population_validation():
    with pytest.raises(ValueError, match="`second_moment`"):
        MomentTable.from_population(mean=np.zeros(2), second_moment=np.eye(3),
                                    observed=[("X1", "Y")], names=("X1", "Y"))
    with pytest.raises(ValueError, match="`observed`"):
        MomentTable.from_population(mean=[0.0, 0.5], second_moment=[[1.0, 0.1], [0.1, 0.5]],
                                    observed=[("X2", "Y")], names=("X1", "Y"))


def test_csv_bad_file(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="columns"):
        MomentTable.from_csv(p)
    p.write_text("subset,moment,vars,value,n\nX1|Y,mean,X1,nan,10\n")
    with pytest.raises(ValueError, match="finite"):
        MomentTable.from_csv(p)
