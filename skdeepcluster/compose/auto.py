"""The ``"auto"`` settings: batch size, training length and network size from the data.

Each is resolved at ``fit`` into a fitted attribute (``batch_size_``,
``pretrain_epochs_``, ``epochs_``, ``hidden_dims_``), the way scikit-learn's
``MLPClassifier(batch_size="auto")`` is.  On a data set as large as the
papers' (MNIST, 70,000 images of 784 pixels) they resolve to the papers'
recipes; a small data set gets smaller batches and enough gradient steps,
and a low-dimensional input a narrower network.
"""

import math

__all__ = ["auto_batch_size", "auto_epochs", "auto_hidden_dims", "AUTO_MIN_STEPS"]

# "auto" batches: at least this many batches an epoch, of at least this many samples.
BATCHES_PER_EPOCH = 50
MIN_BATCH_SIZE = 32

# Gradient steps an "auto" phase takes at least: (pretraining, clustering).
AUTO_MIN_STEPS = (3000, 1500)

# "auto" widths: the first hidden layer at least twice the input's width, and at least this.
MIN_WIDTH = 32


def auto_batch_size(n_samples, reference):
    """The batch size ``"auto"`` resolves to for ``n_samples`` training samples.

    ``reference`` (the method's batch size on its paper's data) when the data
    are large enough for at least :data:`BATCHES_PER_EPOCH` such batches an
    epoch; smaller batches on smaller data, down to :data:`MIN_BATCH_SIZE`
    (all samples, when fewer).

    >>> auto_batch_size(70000, 256), auto_batch_size(1797, 256), auto_batch_size(150, 256)
    (256, 35, 32)
    """
    return int(min(reference, n_samples, max(MIN_BATCH_SIZE, n_samples // BATCHES_PER_EPOCH)))


def auto_epochs(epochs, min_steps, n_samples, batch_size):
    """``epochs``, or more when that is fewer than ``min_steps`` gradient steps.

    >>> auto_epochs(100, 3000, 70000, 256), auto_epochs(100, 3000, 1797, 35)
    (100, 100)
    >>> auto_epochs(50, 1500, 150, 32)
    300
    """
    if not min_steps:
        return int(epochs)
    steps_per_epoch = math.ceil(n_samples / batch_size)
    return int(max(epochs, math.ceil(min_steps / steps_per_epoch)))


def auto_hidden_dims(n_features, reference):
    """Hidden widths for ``n_features`` inputs: ``reference``, narrowed for a small input.

    The first hidden layer is the smallest power of two at least twice the
    input's width (at least :data:`MIN_WIDTH`), capped by the reference's;
    the other layers keep their proportions to it.

    >>> auto_hidden_dims(784, (500, 500, 2000))
    (500, 500, 2000)
    >>> auto_hidden_dims(64, (500, 500, 2000)), auto_hidden_dims(2, (500, 500, 2000))
    ((128, 128, 512), (32, 32, 128))
    """
    reference = tuple(int(h) for h in reference)
    width = max(MIN_WIDTH, 1 << math.ceil(math.log2(max(2 * n_features, 1))))
    if width >= reference[0]:
        return reference
    return tuple(max(1, round(h * width / reference[0])) for h in reference)
