"""Tests for skdeepcluster.networks: layer sizes, output shapes, dict outputs."""

import numpy as np
import pytest
import torch
from torch import nn

from skdeepcluster.networks import (
    Autoencoder,
    BatchNormConvAutoencoder,
    ConvAutoencoder,
    MLPAutoencoder,
    StudentTClusteringModule,
    glorot_init,
)


def linear_sizes(sequential):
    return [(m.in_features, m.out_features) for m in sequential if isinstance(m, nn.Linear)]


# --- MLPAutoencoder -----------------------------------------------------------


def test_mlp_default_is_dec_architecture():
    ae = MLPAutoencoder(784)
    assert linear_sizes(ae.encoder) == [(784, 500), (500, 500), (500, 2000), (2000, 10)]
    assert linear_sizes(ae.decoder) == [(10, 2000), (2000, 500), (500, 500), (500, 784)]


def test_mlp_embedding_and_output_are_linear():
    ae = MLPAutoencoder(784)
    for half in (ae.encoder, ae.decoder):
        assert isinstance(half[-1], nn.Linear)
        # Linear, ReLU, Linear, ReLU, Linear, ReLU, Linear: ReLU after every hidden layer only.
        kinds = [type(m) for m in half]
        assert kinds == [nn.Linear, nn.ReLU] * 3 + [nn.Linear]


def test_mlp_custom_sizes_and_shapes():
    ae = MLPAutoencoder(7, hidden_dims=(5, 4), embedding_dim=3)
    assert linear_sizes(ae.encoder) == [(7, 5), (5, 4), (4, 3)]
    assert linear_sizes(ae.decoder) == [(3, 4), (4, 5), (5, 7)]
    out = ae(torch.zeros(6, 7))
    assert set(out) == {"embedding", "reconstruction"}
    assert out["embedding"].shape == (6, 3)
    assert out["reconstruction"].shape == (6, 7)
    assert ae.encode(torch.zeros(6, 7)).shape == (6, 3)


def test_mlp_without_hidden_layers():
    ae = MLPAutoencoder(4, hidden_dims=(), embedding_dim=2)
    assert [type(m) for m in ae.encoder] == [nn.Linear]
    assert [type(m) for m in ae.decoder] == [nn.Linear]


def test_mlp_embedding_can_be_negative():
    # A linear embedding layer: no ReLU clips it to the positive orthant.
    torch.manual_seed(0)
    z = MLPAutoencoder(5, hidden_dims=(8,), embedding_dim=4).encode(torch.randn(50, 5))
    assert (z < 0).any()


# --- ConvAutoencoder ----------------------------------------------------------


@pytest.mark.parametrize("input_shape", [(1, 28, 28), (3, 32, 32), (1, 17, 13), (2, 9, 9)])
def test_conv_reconstruction_has_input_shape(input_shape):
    torch.manual_seed(0)
    ae = ConvAutoencoder(input_shape, channels=(4, 8, 16), embedding_dim=5)
    images = torch.randn(3, *input_shape)
    out = ae(images)
    assert out["embedding"].shape == (3, 5)
    assert out["reconstruction"].shape == images.shape
    flat = images.reshape(3, -1)
    out_flat = ae(flat)
    assert out_flat["reconstruction"].shape == flat.shape
    # The same network whatever the layout of the input.
    torch.testing.assert_close(out_flat["embedding"], out["embedding"])
    torch.testing.assert_close(out_flat["reconstruction"], out["reconstruction"].reshape(3, -1))


def test_conv_default_channels_and_linear_embedding():
    ae = ConvAutoencoder((1, 28, 28))
    convs = [m for m in ae.encoder if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [32, 64, 128]
    assert isinstance(ae.encoder[-1], nn.Linear)
    assert ae.encoder[-1].out_features == 10
    # 28 -> 14 -> 7 -> 3 spatially: 128 * 3 * 3 features before the dense layer.
    assert ae.encoder[-1].in_features == 128 * 3 * 3
    assert isinstance(ae.decoder[-1], nn.ConvTranspose2d)
    assert ae.input_shape == (1, 28, 28)


@pytest.mark.parametrize("input_shape", [(1, 8, 8), (1, 28, 4), (3, 5, 40)])
def test_conv_too_small_images_raise(input_shape):
    # Three stride-2 convolutions need at least 9 pixels per side (9 -> 5 -> 3 -> 1).
    with pytest.raises(ValueError, match="too small"):
        ConvAutoencoder(input_shape)


@pytest.mark.parametrize("input_shape", [(28, 28), (784,), (1, 28, 28, 1), ()])
def test_conv_bad_input_shape_raises(input_shape):
    with pytest.raises(ValueError, match="input_shape"):
        ConvAutoencoder(input_shape)


# --- BatchNormConvAutoencoder ------------------------------------------------


@pytest.mark.parametrize("input_shape", [(1, 28, 28), (3, 32, 32), (1, 17, 13), (2, 8, 8)])
def test_bn_conv_reconstruction_has_input_shape(input_shape):
    torch.manual_seed(0)
    ae = BatchNormConvAutoencoder(input_shape, channels=(4, 8, 16), embedding_dim=5).eval()
    images = torch.randn(3, *input_shape)
    out = ae(images)
    assert out["embedding"].shape == (3, 5)
    assert out["reconstruction"].shape == images.shape
    out_flat = ae(images.reshape(3, -1))
    torch.testing.assert_close(out_flat["embedding"], out["embedding"])
    torch.testing.assert_close(out_flat["reconstruction"], out["reconstruction"].reshape(3, -1))


def test_bn_conv_default_is_the_dbc_architecture():
    ae = BatchNormConvAutoencoder((1, 28, 28))
    kinds = [type(m) for m in ae.encoder]
    assert kinds.count(nn.BatchNorm2d) == 3 and kinds.count(nn.MaxPool2d) == 3
    convs = [m for m in ae.encoder if isinstance(m, nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size) for c in convs] == [(32, (3, 3)), (64, (3, 3)), (128, (3, 3))]
    # 28 -> 14 -> 7 -> 3 by pooling: 128 * 3 * 3 features before the linear embedding.
    assert isinstance(ae.encoder[-1], nn.Linear)
    assert (ae.encoder[-1].in_features, ae.encoder[-1].out_features) == (128 * 3 * 3, 10)
    # The decoder upsamples back to the encoder's sizes, 3 -> 7 -> 14 -> 28.
    sizes = [tuple(m.size) for m in ae.decoder if isinstance(m, nn.Upsample)]
    assert sizes == [(7, 7), (14, 14), (28, 28)]
    assert sum(isinstance(m, nn.BatchNorm2d) for m in ae.decoder) == 2
    assert isinstance(ae.decoder[-1], nn.Conv2d) and ae.decoder[-1].out_channels == 1


def test_bn_conv_in_eval_mode_does_not_depend_on_the_batch():
    torch.manual_seed(0)
    ae = BatchNormConvAutoencoder((1, 8, 8), channels=(4, 8, 8), embedding_dim=3)
    images = torch.randn(10, 1, 8, 8)
    ae.train()
    ae(images)  # moves the running statistics off their initial values
    training = ae(images)["embedding"]
    ae.eval()
    whole = ae(images)["embedding"]
    torch.testing.assert_close(ae(images[:1])["embedding"], whole[:1])
    # Training mode normalises by the batch's own statistics instead.
    assert not torch.allclose(training, whole)


@pytest.mark.parametrize("input_shape", [(1, 7, 7), (1, 28, 4), (3, 5, 40)])
def test_bn_conv_too_small_images_raise(input_shape):
    with pytest.raises(ValueError, match="too small"):
        BatchNormConvAutoencoder(input_shape)


@pytest.mark.parametrize("input_shape", [(28, 28), (784,), (1, 28, 28, 1)])
def test_bn_conv_bad_input_shape_raises(input_shape):
    with pytest.raises(ValueError, match="input_shape"):
        BatchNormConvAutoencoder(input_shape)


# --- glorot_init ---------------------------------------------------------------


def test_glorot_init_is_the_keras_default():
    torch.manual_seed(0)
    ae = BatchNormConvAutoencoder((1, 8, 8), channels=(4, 8, 8), embedding_dim=3)
    norms_before = [m.weight.clone() for m in ae.modules() if isinstance(m, nn.BatchNorm2d)]
    assert glorot_init(ae) is ae
    layers = [m for m in ae.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    assert layers
    for layer in layers:
        assert (layer.bias == 0).all()
        fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(layer.weight)
        bound = (6 / (fan_in + fan_out)) ** 0.5
        assert layer.weight.abs().max() <= bound
        assert layer.weight.abs().max() > 0.5 * bound  # spread over the Glorot range
    norms_after = [m.weight for m in ae.modules() if isinstance(m, nn.BatchNorm2d)]
    for before, after in zip(norms_before, norms_after):
        torch.testing.assert_close(before, after)


# --- StudentTClusteringModule -------------------------------------------------


def make_clustering_module(reconstruct=False, n_clusters=3):
    torch.manual_seed(0)
    ae = MLPAutoencoder(6, hidden_dims=(8,), embedding_dim=2)
    centers = np.arange(2 * n_clusters, dtype=np.float64).reshape(n_clusters, 2)
    return StudentTClusteringModule(ae, centers, alpha=1.0, reconstruct=reconstruct), centers


def test_clustering_module_outputs_without_reconstruction():
    module, _ = make_clustering_module(reconstruct=False)
    out = module(torch.randn(5, 6))
    assert set(out) == {"embedding", "assignments"}
    assert out["embedding"].shape == (5, 2)
    assert out["assignments"].shape == (5, 3)


def test_clustering_module_outputs_with_reconstruction():
    module, _ = make_clustering_module(reconstruct=True)
    out = module(torch.randn(5, 6))
    assert set(out) == {"embedding", "reconstruction", "assignments"}
    assert out["reconstruction"].shape == (5, 6)


def test_clustering_module_assignments_rows_sum_to_one():
    module, _ = make_clustering_module()
    q = module(10 * torch.randn(40, 6))["assignments"]
    torch.testing.assert_close(q.sum(dim=1), torch.ones(40))
    torch.testing.assert_close(module.assign(module.encode(10 * torch.randn(4, 6))).sum(1), torch.ones(4))


def test_clustering_module_centers_are_a_copied_parameter():
    module, centers = make_clustering_module()
    assert isinstance(module.centers, nn.Parameter)
    assert module.centers.requires_grad
    assert module.centers.dtype == torch.float32
    assert any(p is module.centers for p in module.parameters())
    np.testing.assert_array_equal(module.centers.detach().numpy(), centers)
    centers[0, 0] = 100.0
    assert module.centers[0, 0].item() == 0.0


def test_clustering_module_does_not_alias_a_float32_tensor():
    # torch.as_tensor would share this tensor's memory; the module must clone it.
    centers = torch.zeros(2, 2)
    module = StudentTClusteringModule(MLPAutoencoder(3, (4,), 2), centers)
    assert module.centers.data_ptr() != centers.data_ptr()
    with torch.no_grad():
        module.centers += 1.0
    assert torch.all(centers == 0)


def test_clustering_module_does_not_alias_a_float32_array():
    centers = np.zeros((2, 2), dtype=np.float32)
    module = StudentTClusteringModule(MLPAutoencoder(3, (4,), 2), centers)
    with torch.no_grad():
        module.centers += 1.0
    assert np.all(centers == 0)


def test_clustering_module_alpha():
    # z on centre 0, centre 1 at squared distance 6 in 3-D: alpha = 2 gives q = (8/9, 1/9).
    encoder = nn.Identity()
    module = StudentTClusteringModule(
        Autoencoder(encoder), torch.tensor([[0.0, 0.0, 0.0], [1.0, 1.0, 2.0]]), alpha=2
    )
    q = module(torch.zeros(1, 3))["assignments"]
    torch.testing.assert_close(q, torch.tensor([[8 / 9, 1 / 9]]))


# --- Autoencoder with user modules --------------------------------------------


def test_autoencoder_uses_user_modules():
    encoder = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
    decoder = nn.Sequential(nn.Linear(2, 4))
    ae = Autoencoder(encoder, decoder)
    assert ae.encoder is encoder and ae.decoder is decoder
    x = torch.randn(5, 4)
    out = ae(x)
    torch.testing.assert_close(out["embedding"], encoder(x))
    torch.testing.assert_close(out["reconstruction"], decoder(encoder(x)))
    torch.testing.assert_close(ae.encode(x), encoder(x))
    # The user's parameters are registered, so an optimizer trains them.
    assert {id(p) for p in ae.parameters()} == {
        id(p) for p in [*encoder.parameters(), *decoder.parameters()]
    }


def test_autoencoder_without_decoder_encodes_and_clusters():
    encoder = nn.Linear(4, 2)
    ae = Autoencoder(encoder)
    assert ae.decoder is None
    module = StudentTClusteringModule(ae, torch.zeros(3, 2) + torch.arange(3.0)[:, None])
    out = module(torch.randn(5, 4))
    assert set(out) == {"embedding", "assignments"}
