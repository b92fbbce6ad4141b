"""Data augmentation for image autoencoder pretraining.

Small random rotations and shifts of each image, drawn anew for every batch
on the training device, as in ConvDEC-DA (Guo et al. 2018) and the DMAE
paper.  Estimators with an ``augment`` parameter apply
:class:`ImageAugmentation` to the pretraining batches; the autoencoder then
reconstructs the augmented image, so it learns features that do not depend
on small translations and rotations.
"""

import math

import torch
import torch.nn.functional as F

__all__ = ["ImageAugmentation"]


class ImageAugmentation:
    """Random rotation and shift of a batch of images, on the batch's device.

    Each image gets its own angle, drawn uniformly in ``[-rotation,
    rotation]`` degrees, and its own shift, uniform in ``[-shift, shift]``
    times the image width (height) along each axis.  Pixels moved in from
    outside the image are zero, the background of images such as MNIST;
    scale such data to a zero background (e.g. ``MinMaxScaler``), not to zero
    mean.  Random numbers come from torch's global generator, which the
    estimators seed from ``random_state``.

    Parameters
    ----------
    input_shape : tuple of int
        ``(C, H, W)`` of one image.
    rotation : float, default=10.0
        Largest rotation, in degrees.
    shift : float, default=0.1
        Largest shift, as a fraction of the image size.
    zoom : float, default=0.0
        Largest zoom: each image is scaled by factors drawn uniformly in
        ``[1 - zoom, 1 + zoom]``, one per axis (Keras's ``zoom_range``;
        DAC's code uses 0.05).  0 draws none.

    Examples
    --------
    >>> import torch
    >>> augment = ImageAugmentation((1, 28, 28))
    >>> augment(torch.rand(5, 784)).shape
    torch.Size([5, 784])
    """

    def __init__(self, input_shape, rotation=10.0, shift=0.1, zoom=0.0):
        input_shape = tuple(int(s) for s in input_shape)
        if len(input_shape) != 3:
            raise ValueError(f"input_shape must be (channels, height, width); got {input_shape}.")
        if rotation < 0 or shift < 0 or not 0 <= zoom < 1:
            raise ValueError(
                f"rotation and shift must be >= 0 and zoom in [0, 1); got {rotation}, {shift} "
                f"and {zoom}."
            )
        self.input_shape = input_shape
        self.rotation = float(rotation)
        self.shift = float(shift)
        self.zoom = float(zoom)

    def __call__(self, x):
        """Augment a batch ``(n, C*H*W)`` or ``(n, C, H, W)``; the output has the shape of ``x``."""
        n = x.shape[0]
        images = x.reshape(n, *self.input_shape)
        uniform = torch.rand(n, 3, device=x.device, dtype=images.dtype) * 2 - 1
        angle = uniform[:, 0] * math.radians(self.rotation)
        # affine_grid works in [-1, 1] coordinates: a shift of a fraction f of the size is 2f.
        translation = uniform[:, 1:] * (2 * self.shift)
        cos, sin = torch.cos(angle), torch.sin(angle)
        scale_x = scale_y = 1.0
        if getattr(self, "zoom", 0.0):  # drawn only when asked, so that rotations and shifts stay as before
            scale = 1 + self.zoom * (torch.rand(n, 2, device=x.device, dtype=images.dtype) * 2 - 1)
            scale_x, scale_y = scale[:, 0], scale[:, 1]
        theta = torch.stack(
            [
                torch.stack([cos * scale_x, -sin * scale_y, translation[:, 0]], dim=1),
                torch.stack([sin * scale_x, cos * scale_y, translation[:, 1]], dim=1),
            ],
            dim=1,
        )
        grid = F.affine_grid(theta, list(images.shape), align_corners=False)
        out = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        return out.reshape(x.shape)

    def __repr__(self):
        return (
            f"{type(self).__name__}(input_shape={self.input_shape}, rotation={self.rotation}, "
            f"shift={self.shift}"
            + (f", zoom={self.zoom})" if getattr(self, "zoom", 0.0) else ")")
        )
