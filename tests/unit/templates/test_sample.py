"""The sample data the built-in templates write: scikit-learn's bundled sets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from rung.templates._sample import main, sample_frame, write_sample


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("breast_cancer", (569, 31)),
        ("diabetes", (442, 11)),
        ("scoring_training", (469, 31)),
        ("scoring_batch", (100, 31)),
    ],
)
def test_each_sample_has_its_documented_shape(
    name: str, shape: tuple[int, int]
) -> None:
    assert sample_frame(name).shape == shape


def test_the_batch_has_ids_and_no_target() -> None:
    batch = sample_frame("scoring_batch")
    assert batch.columns[0] == "id"
    assert "target" not in batch.columns
    assert batch["id"].is_unique


def test_write_sample_writes_a_csv_that_reads_back(tmp_path: Path) -> None:
    path = write_sample("diabetes", tmp_path / "data" / "sample.csv")
    frame = pd.read_csv(path)
    pd.testing.assert_frame_equal(frame, sample_frame("diabetes"))
    assert [p.name for p in path.parent.iterdir()] == ["sample.csv"]


def test_unknown_sample_names_the_samples() -> None:
    with pytest.raises(KeyError, match="Samples: \\['breast_cancer'"):
        sample_frame("iris")


def test_main_writes_each_pair_and_refuses_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert main([f"scoring_training={a}", f"scoring_batch={b}"]) == 0
    assert a.is_file()
    assert b.is_file()
    assert main(["iris=x.csv"]) == 2
    assert main(["breast_cancer"]) == 2
    assert "samples: breast_cancer, diabetes" in capsys.readouterr().err
