"""Networks: autoencoders, the clustering heads on their features, and DDC's run-wise networks.

* :mod:`~skdeepcluster.networks.autoencoders`: fully connected and
  convolutional autoencoders (and the user's own encoder and decoder);
* :mod:`~skdeepcluster.networks.heads`: the clustering heads (centroids,
  mixtures, softmax layers) that sit on a network's features;
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
from .heads import *  # noqa: F401,F403
from .heads import __all__ as _heads
from .runwise import *  # noqa: F401,F403
from .runwise import __all__ as _runwise

__all__ = [*_autoencoders, *_heads, *_runwise, *_gan]
