"""DBC: discriminatively boosted clustering on a fully convolutional autoencoder.

Recipe (Li, Qiao, Zhang and Xi, "Discriminatively Boosted Image Clustering
with Fully Convolutional Auto-Encoders", Pattern Recognition 2018; arXiv
1703.07980), which seed 001's taxonomy describes as DEC on a convolutional
autoencoder:

* network: a fully convolutional autoencoder with batch normalisation and
  max pooling (:class:`~skdeepcluster.networks.BatchNormConvAutoencoder`),
  pretrained on reconstruction;
* initialisation: k-means on its embedding;
* loss: ``KL(P || Q)`` between Student's t soft assignments ``Q`` and the
  boosted target ``p_ik ∝ q_ik^boost / f_k``, the decoder dropped (DEC's
  :class:`~skdeepcluster.compose.Hardening` and
  :class:`~skdeepcluster.compose.TargetRefresh` with ``power=boost``).
"""

from numbers import Real

from sklearn.utils._param_validation import Interval

from .dec import DECClustering

__all__ = ["DBCClustering"]


class DBCClustering(DECClustering):
    """Discriminatively Boosted Clustering (DBC) of Li et al. (2017).

    DEC on a fully convolutional autoencoder: the autoencoder (convolution,
    batch normalisation, ReLU and max pooling, three times, then a dense
    embedding) is pretrained on reconstruction, k-means on its embedding
    starts the centroids, and the encoder and centroids are then trained to
    minimise ``KL(P || Q)``, where ``Q`` are Student's t soft assignments of
    the embedding and ``P`` the *boosted* target
    ``p_ik ∝ q_ik^boost / sum_i q_ik``, recomputed on all data every
    ``update_interval`` batches: the larger ``boost``, the more the
    confident assignments are emphasised over the others.

    DBC is made for images: give ``X`` as ``(n, C, H, W)``, as ``(n, H,
    W)``, or flat with ``input_shape=(C, H, W)``; scale pixels to ``[0,
    1]``.  On other data (``network="mlp"``) it is DEC with a boosting
    factor, and :class:`DECClustering`'s remarks apply: it suits classes an
    autoencoder embeds as compact groups, not clusters that are curved or
    nested in the input (two moons, a circle in a ring).

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    boost : float, default=2.0
        The boosting factor: the exponent of the soft assignments in the
        target.  2 makes the target DEC's.
    network : {"auto", "conv_bn", "conv", "mlp"}, default="auto"
        The autoencoder.  ``"auto"`` is ``"conv_bn"`` (DBC's fully
        convolutional one with batch normalisation and max pooling,
        :class:`~skdeepcluster.networks.BatchNormConvAutoencoder`) for
        images of at least 8x8 pixels, given as ``(n, C, H, W)``, ``(n, H,
        W)`` or with ``input_shape``, and ``"mlp"`` (``hidden_dims``) for
        other input; ``"conv"`` is the strided convolutional autoencoder.
    hidden_dims, embedding_dim, input_shape, encoder, decoder, weight_init, alpha, \
pretrain_epochs, pretrain_lr, pretrain_optimizer, augment, augment_clustering, \
augment_rotation, augment_shift, epochs, lr, optimizer, update_interval, tol, \
n_init, batch_size, precision, callbacks, device, random_state, verbose
        As for :class:`DECClustering`.

    Attributes
    ----------
    labels_, cluster_centers_, net_, history_, pretrain_history_, device_, \
n_iter_, input_shape_, n_features_in_, feature_names_in_
        As for :class:`DECClustering`.

    See Also
    --------
    DECClustering : The same objective with DEC's target, on a fully connected autoencoder.
    AljalboutClustering : The same network, the reconstruction kept, k-means at the end.
    skdeepcluster.losses.target_distribution : The boosted target.

    Notes
    -----
    The paper's equations and training constants were not available to us
    in full; this preset follows the survey's reading of it (DEC's
    objective and schedule on the fully convolutional autoencoder) with
    DEC's constants: Adam pretraining at ``1e-3``, SGD with momentum at
    ``0.01`` for the clustering phase, a target refresh every 140 batches.
    The decoder upsamples by nearest neighbour rather than unpooling with
    the encoder's pooling switches.

    References
    ----------
    F. Li, H. Qiao, B. Zhang and X. Xi, "Discriminatively Boosted Image
    Clustering with Fully Convolutional Auto-Encoders", Pattern Recognition
    83, 2018 (arXiv 1703.07980).

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster import DBCClustering
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((60, 1, 8, 8)).astype(np.float32)
    >>> dbc = DBCClustering(n_clusters=3, pretrain_epochs=2, epochs=2, n_init=2,
    ...                     random_state=0).fit(X)
    >>> dbc.labels_.shape, dbc.transform(X).shape
    ((60,), (60, 10))
    """

    _parameter_constraints = {
        **DECClustering._parameter_constraints,
        "boost": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        boost=2.0,
        hidden_dims="auto",
        embedding_dim=10,
        network="auto",
        input_shape=None,
        encoder=None,
        decoder=None,
        weight_init="glorot",
        alpha=1.0,
        pretrain_epochs="auto",
        pretrain_lr=1e-3,
        pretrain_optimizer="adam",
        augment=False,
        augment_clustering=False,
        augment_rotation=10.0,
        augment_shift=0.1,
        epochs="auto",
        lr=0.01,
        optimizer="sgd",
        update_interval=140,
        tol=1e-3,
        n_init=20,
        batch_size="auto",
        precision="float32",
        callbacks=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            n_clusters,
            hidden_dims=hidden_dims,
            embedding_dim=embedding_dim,
            network=network,
            input_shape=input_shape,
            encoder=encoder,
            decoder=decoder,
            weight_init=weight_init,
            alpha=alpha,
            pretrain_epochs=pretrain_epochs,
            pretrain_lr=pretrain_lr,
            pretrain_optimizer=pretrain_optimizer,
            augment=augment,
            augment_clustering=augment_clustering,
            augment_rotation=augment_rotation,
            augment_shift=augment_shift,
            epochs=epochs,
            lr=lr,
            optimizer=optimizer,
            update_interval=update_interval,
            tol=tol,
            n_init=n_init,
            batch_size=batch_size,
            precision=precision,
            callbacks=callbacks,
            device=device,
            random_state=random_state,
            verbose=verbose,
        )
        self.boost = boost

    def _target_power(self):
        return self.boost
