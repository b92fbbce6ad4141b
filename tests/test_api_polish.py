"""scikit-learn API polish over every public estimator: pandas in and out, progress output."""

import numpy as np
import pytest

from estimator_registry import NAMES, make

pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def frame():
    return pd.DataFrame(np.random.RandomState(0).rand(60, 4), columns=["a", "b", "c", "d"])


@pytest.mark.parametrize("name", NAMES)
def test_dataframe_in_pandas_out(name, frame):
    est = make(name, n_clusters=2, random_state=0).set_output(transform="pandas")
    out = est.fit(frame).transform(frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.index) == list(frame.index)
    assert list(out.columns) == list(est.get_feature_names_out())
    assert list(out.columns)[0] == f"{name.lower()}0"
    np.testing.assert_array_equal(est.feature_names_in_, ["a", "b", "c", "d"])
    with pytest.warns(UserWarning, match="feature names"):
        est.predict(frame.to_numpy())


@pytest.mark.parametrize("name", NAMES)
def test_verbose_prints_the_epoch_table_and_a_progress_bar(name, frame, capsys):
    pytest.importorskip("tqdm")
    est = make(name, n_clusters=2, random_state=0, verbose=2).fit(frame)
    captured = capsys.readouterr()
    assert "train_loss" in captured.out
    assert any(key == "progress_bar" for key, _ in est.net_.callbacks_)
    quiet = make(name, n_clusters=2, random_state=0).fit(frame)
    assert not any(key == "progress_bar" for key, _ in quiet.net_.callbacks_)
    assert "train_loss" not in capsys.readouterr().out


@pytest.mark.parametrize("name", NAMES)
def test_skorch_training_callbacks(name, frame, tmp_path):
    from skorch.callbacks import Checkpoint, EarlyStopping, LRScheduler

    callbacks = [
        EarlyStopping(monitor="train_loss", patience=2, threshold=1e9, threshold_mode="abs"),
        Checkpoint(monitor="train_loss_best", dirname=str(tmp_path)),
        LRScheduler("StepLR", step_size=1, gamma=0.5),
    ]
    est = make(name, n_clusters=2, epochs=20, callbacks=callbacks, random_state=0).fit(frame)
    assert est.n_iter_ == 3
    assert (tmp_path / "params.pt").exists()
    assert est.predict(frame).shape == (60,)
    # the user's callbacks are copied, never trained in place
    used = [cb for _, cb in est.net_.callbacks_]
    assert all(cb is not mine for cb in used for mine in callbacks)
