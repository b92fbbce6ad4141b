"""Write the weights files that prove format-version-1 files keep loading.

Run once, from the repository root, with the code that writes format version 1::

    python tests/data/make_weights_v1.py

It fits every public estimator at its small test configuration
(``tests/estimator_registry.py``'s ``SMALL``) on
``make_blobs(60, centers=3, random_state=0)`` on the CPU, saves each with
:func:`skdeepcluster.persistence.save` to ``weights_v1/<ClassName>.pt`` and
records the fitted estimator's ``predict`` labels and ``transform`` (rounded
to 4 decimals) in ``weights_v1/expected.json``.  ``tests/test_persistence.py``
loads every committed file and compares.  Do not regenerate these files to
make that test pass: the point is that files written by an older version
still load.
"""

import json
import platform
import re
import sys
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn.datasets import make_blobs

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/, for estimator_registry

import skdeepcluster  # noqa: E402
from estimator_registry import NAMES, SMALL, make  # noqa: E402
from skdeepcluster.persistence import _VERSION, load, save  # noqa: E402

OUT = HERE / "weights_v1"


def main():
    torch.set_num_threads(1)
    OUT.mkdir(exist_ok=True)
    X, _ = make_blobs(60, centers=3, random_state=0)
    expected = {
        "format_version": _VERSION,
        "written_by": {
            "skdeepcluster": skdeepcluster.__version__,
            "torch": torch.__version__,
            "scikit-learn": sklearn.__version__,
            "python": platform.python_version(),
        },
        "data": "sklearn.datasets.make_blobs(60, centers=3, random_state=0)",
        "estimators": {},
    }
    for name in NAMES:
        estimator = make(name, n_clusters=3, device="cpu", random_state=0).fit(X)
        path = OUT / f"{name}.pt"
        save(estimator, path)
        labels = estimator.predict(X)
        embedding = estimator.transform(X)
        # The file must reproduce the fitted estimator before it is recorded.
        loaded = load(path, device="cpu")
        np.testing.assert_array_equal(loaded.predict(X), labels)
        np.testing.assert_allclose(loaded.transform(X), embedding, rtol=0, atol=1e-6)
        expected["estimators"][name] = {
            "params": {**SMALL[name], "n_clusters": 3, "device": "cpu", "random_state": 0},
            "labels": [int(v) for v in labels],
            "transform": np.round(embedding.astype(np.float64), 4).tolist(),
        }
        print(f"{path.relative_to(HERE.parent.parent)}: {path.stat().st_size} bytes")
    text = json.dumps(expected, indent=1)
    # One line per list of numbers (the labels, each row of the embedding).
    numbers = re.compile(r"\[\s+([-+0-9.eE,\s]+?)\s+\]")
    text = numbers.sub(lambda m: f"[{' '.join(m.group(1).split())}]", text)
    (OUT / "expected.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
