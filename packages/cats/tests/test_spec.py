import pytest

from mpiis.cats import CausalGraph, EvalSpec, Hypothesis, Proxy, implications


def _graph():
    return CausalGraph([("D", "F"), ("D", "Y"), ("F", "Y")], latent=["D"])


def _spec(**kw):
    base = dict(columns={"F": "f", "Y": "correct"}, types={"F": "continuous", "Y": "binary"},
                unit="item_model", proxies={"D": Proxy("D", kind="irt",
                                                       reference_models=["r1", "r2"])})
    base.update(kw)
    return EvalSpec(_graph(), **base)


@pytest.mark.parametrize("kw, match", [
    ({"columns": {"F": "f", "Q": "q"}}, "unknown node 'Q'"),
    ({"types": {"F": "continuous"}}, "same nodes"),
    ({"types": {"F": "real", "Y": "binary"}}, "types\\['F'\\]"),
    ({"unit": "row"}, "unit"),
    ({"columns": {"F": "f"}, "types": {"F": "continuous"}}, "misses the observed nodes"),
    ({"proxies": {"F": Proxy("F", kind="column", column="x")}}, "not a latent"),
])
def test_validation(kw, match):
    with pytest.raises(ValueError, match=match):
        _spec(**kw)


def test_proxy_validation():
    with pytest.raises(ValueError, match="column"):
        Proxy("D", kind="column")
    with pytest.raises(ValueError, match="reliability"):
        Proxy("D", kind="column", column="x", reliability=1.5)
    with pytest.raises(ValueError, match="reference_models"):
        Proxy("D", kind="irt")


def test_json_and_yaml_round_trip(tmp_path):
    s = _spec(hypotheses=[Hypothesis.effect("F", "Y")])
    s.to_json(tmp_path / "s.json")
    s2 = EvalSpec.from_json(tmp_path / "s.json")
    assert s2.to_dict() == s.to_dict()
    s.to_yaml(tmp_path / "s.yaml")
    assert EvalSpec.from_yaml(tmp_path / "s.yaml").to_dict() == s.to_dict()
    with pytest.raises(ValueError, match="does not exist"):
        EvalSpec.from_json(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        EvalSpec.from_json(tmp_path / "bad.json")


def test_implications_latent_end_point_untestable():
    g = CausalGraph([("D", "F"), ("D", "Y")], latent=["D"])
    s = EvalSpec(g, columns={"F": "f", "Y": "y"}, types={"F": "continuous", "Y": "binary"},
                 proxies={"D": Proxy("D", kind="column", column="d", reliability=0.8)})
    by = {(i.independence.x, i.independence.y): i for i in implications(s)}
    assert by[("F", "Y")].status == "testable" and by[("F", "Y")].proxy_limited
    assert by[("F", "Y")].columns == ("f", "y", ("D",))


def test_validate_table_errors():
    import numpy as np
    import pandas as pd

    s = EvalSpec(CausalGraph([("F", "Y")]), columns={"F": "f", "Y": "y"},
                 types={"F": "continuous", "Y": "binary"})
    with pytest.raises(ValueError, match="misses the columns \\['y'\\]"):
        s.validate_table(pd.DataFrame({"f": [1.0]}))
    with pytest.raises(ValueError, match=r"'f'.*1 NaN"):
        s.validate_table(pd.DataFrame({"f": [1.0, np.nan], "y": [0, 1]}))
    with pytest.raises(ValueError, match="declared binary but 1 row"):
        s.validate_table(pd.DataFrame({"f": [1.0, 2.0], "y": [0, 2]}))
    with pytest.raises(TypeError, match="DataFrame"):
        s.validate_table({"f": [1.0]})
