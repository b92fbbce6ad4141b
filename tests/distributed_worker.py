"""What each process of tests/test_distributed.py runs (importable by spawned processes)."""

import pickle

import numpy as np
import torch

from skdeepcluster import DCNClustering, DECClustering
from toy_data import standardized_blobs

MODELS = {
    "DEC": lambda: DECClustering(3, hidden_dims=(16,), embedding_dim=2, pretrain_epochs=4,
                                 epochs=4, batch_size=32, update_interval=2, device="cpu",
                                 random_state=0),
    "DCN": lambda: DCNClustering(3, hidden_dims=(16,), embedding_dim=2, pretrain_epochs=4,
                                 epochs=4, batch_size=32, device="cpu", random_state=0),
}


def data():
    X, _ = standardized_blobs(128)
    return X.astype(np.float32)


def fit(name):
    """The fit's losses per epoch (pretraining, clustering), labels and centres."""
    torch.set_num_threads(1)
    model = MODELS[name]().fit(data())
    return {
        "pretrain_loss": [row["train_loss"] for row in model.pretrain_history_],
        "loss": [row["train_loss"] for row in model.history_],
        "batch_sizes": [b["train_batch_size"] for row in model.history_ for b in row["batches"]],
        "labels": model.labels_,
        "centers": model.cluster_centers_,
    }


def fit_in_process(rank, world_size, init_file, name, out):
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank,
                            world_size=world_size)
    try:
        result = fit(name)
        with open(f"{out}.{rank}", "wb") as f:
            pickle.dump(result, f)
    finally:
        dist.destroy_process_group()
