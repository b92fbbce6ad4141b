"""Networks: autoencoders, the clustering heads on their features, and DDC's run-wise networks.

* :mod:`~skdeepcluster.networks.autoencoders`: fully connected and
  convolutional autoencoders (and the user's own encoder and decoder);
* :mod:`~skdeepcluster.networks.noisy`: DEPICT's noisy autoencoders (a clean
  and a dropout pass, every layer reconstructed);
* :mod:`~skdeepcluster.networks.heads`: the clustering heads (centroids,
  mixtures, softmax layers) that sit on a network's features;
* :mod:`~skdeepcluster.networks.representation`: the embedding-space
  network (a denoising autoencoder and a representation network on its
  latent);
* :mod:`~skdeepcluster.networks.runwise`: ``R`` independent networks
  evaluated as one module (DDC's restarts), and their training;
* :mod:`~skdeepcluster.networks.gan`: InfoGAN's generator and discriminator.

Every module returns a dict of named outputs (``"embedding"``,
``"reconstruction"``, ``"assignments"``, ...), so that the losses of
:mod:`skdeepcluster.losses` pick what they need whatever the network.
"""

from .autoencoders import *  # noqa: F401,F403
from .autoencoders import __all__ as _autoencoders
from .gan import *  # noqa: F401,F403
from .gan import __all__ as _gan
from .embedding import *  # noqa: F401,F403
from .embedding import __all__ as _embedding
from .heads import *  # noqa: F401,F403
from .heads import __all__ as _heads
from .noisy import *  # noqa: F401,F403
from .noisy import __all__ as _noisy
from .representation import *  # noqa: F401,F403
from .representation import __all__ as _representation
from .runwise import *  # noqa: F401,F403
from .runwise import __all__ as _runwise

__all__ = [*_autoencoders, *_heads, *_runwise, *_noisy, *_representation, *_gan, *_embedding]
